import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRecordLine, openRecorder } from '../../../device-sim/src/record.js';

const dir = await mkdtemp(join(tmpdir(), 'device-sim-record-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('formatRecordLine', () => {
  it('writes topic, payload and receivedAt as one JSON line', () => {
    expect(formatRecordLine('sites/a/devices/b/status', { online: true }, 5)).toBe('{"topic":"sites/a/devices/b/status","payload":{"online":true},"receivedAt":5}\n');
  });

  it('keeps a malformed payload as its raw string', () => {
    const line = JSON.parse(formatRecordLine('t', '{"ts":1,', 5)) as { payload: unknown };
    expect(line.payload).toBe('{"ts":1,');
  });
});

describe('openRecorder', () => {
  it('appends one line per message and flushes on close', async () => {
    const file = join(dir, 'a.ndjson');
    const r = await openRecorder(file);
    r.write('t1', { a: 1 }, 1);
    r.write('t2', 'raw', 2);
    await r.close();
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { topic: 't1', payload: { a: 1 }, receivedAt: 1 },
      { topic: 't2', payload: 'raw', receivedAt: 2 },
    ]);
  });

  it('fails at once with the path when the file cannot be opened', async () => {
    await expect(openRecorder(join(dir, 'missing', 'x.ndjson'))).rejects.toThrow(/--record: cannot open .*missing\/x\.ndjson/);
  });
});
