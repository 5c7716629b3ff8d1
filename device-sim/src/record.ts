import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/** One NDJSON line of a recording: the format the rule replay command reads. */
export interface RecordLine {
  topic: string;
  /** The JSON object published, or the raw text of a malformed message. */
  payload: unknown;
  receivedAt: number;
}

export function formatRecordLine(topic: string, payload: unknown, receivedAt: number): string {
  return `${JSON.stringify({ topic, payload, receivedAt } satisfies RecordLine)}\n`;
}

export interface Recorder {
  write(topic: string, payload: unknown, receivedAt: number): void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/** Appends to `path`; the file is opened before the first message so a bad path fails early. */
export async function openRecorder(path: string): Promise<Recorder> {
  const stream: WriteStream = createWriteStream(path, { flags: 'a' });
  try {
    // once() rejects with the stream's error event.
    await once(stream, 'open');
  } catch (err) {
    throw new Error(`--record: cannot open ${path}: ${(err as Error).message}`);
  }
  let failure: Error | undefined;
  stream.on('error', (err) => {
    failure = err;
  });
  return {
    write(topic, payload, receivedAt) {
      if (!failure) stream.write(formatRecordLine(topic, payload, receivedAt));
    },
    async close() {
      if (stream.closed) return;
      await new Promise<void>((resolve) => stream.end(resolve));
      if (failure) throw new Error(`--record: writing ${path} failed: ${failure.message}`);
    },
  };
}
