// A stop with lines still unsent: an error only when they are really lost; with the outbox's
// durable copy behind the writer it is a debug line (the outbox sends them on the next start).
import { describe, expect, it } from 'vitest';
import { createInfluxWriter, type InfluxLogger } from '../../../gateway/src/storage/influx/index.js';

function capture() {
  const lines: Array<{ level: string; msg: string | undefined }> = [];
  const at = (level: string) => (_obj: object, msg?: string) => void lines.push({ level, msg });
  const logger: InfluxLogger = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
  return { lines, logger };
}

// Nothing listens on port 9 (discard) here; the writer never gets to send before it is closed.
const conn = { url: 'http://127.0.0.1:9', api: 'v1' as const, database: 'none' };

describe('lines left unsent when the writer closes', () => {
  it('are logged as an error when nothing else keeps them', async () => {
    const { lines, logger } = capture();
    const w = createInfluxWriter({ ...conn, logger });
    await w.close();
    w.write(['m v=1 1']);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['InfluxDB lines dropped']);
  });

  it('are no error when the outbox keeps a durable copy', async () => {
    const { lines, logger } = capture();
    const dropped: string[][] = [];
    const w = createInfluxWriter({ ...conn, logger, durableCopy: true, onDropped: (l) => void dropped.push(l) });
    await w.close();
    w.write(['m v=1 1']);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(lines.some((l) => l.level === 'debug')).toBe(true);
    // The outbox still hears of it, so it sends the lines again.
    expect(dropped).toEqual([['m v=1 1']]);
  });
});
