import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { start, type PublishedMessage } from '../../../device-sim/src/index.js';

async function dryRun(argv: string[]): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const handle = await start({ dryRun: true, output: out, ...parse(argv) });
  await handle.done;
  return text;
}

// A tiny argv-to-object helper for the cases below.
function parse(argv: string[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i += 2) o[argv[i]!] = argv[i + 1];
  return o;
}

describe('start in a dry run', () => {
  it('prints record lines that repeat byte for byte with the same seed', async () => {
    const a = await dryRun(['seed', '11', 'count', '50', 'sites', '3']);
    const b = await dryRun(['seed', '11', 'count', '50', 'sites', '3']);
    expect(a).toBe(b);
    expect(a.trim().split('\n').length).toBe(50 + 12); // 12 devices say online first
  });

  it('stops after the virtual duration', async () => {
    const published: PublishedMessage[] = [];
    const handle = await start({ dryRun: true, seed: 1, rate: 10, duration: '3s', onPublish: (m) => published.push(m) });
    await handle.done;
    expect(published.filter((m) => m.channel !== 'status')).toHaveLength(30);
    expect(handle.stats().sent).toBe(published.length);
  });

  it('stamps receivedAt with the virtual time of each message', async () => {
    const published: PublishedMessage[] = [];
    const handle = await start({ dryRun: true, seed: 1, count: 5, startTime: 1_000_000, onPublish: (m) => published.push(m) });
    await handle.done;
    expect(published.map((m) => m.receivedAt)).toEqual(published.map((m) => 1_000_000 + Math.floor(m.at)));
  });

  it('rejects a registry whose devices have only secret hashes when it must connect', async () => {
    const registry = { sites: [{ id: 's1', name: 'S', sector: 'mining' as const, devices: [{ id: 'd1', kind: 'sensor' as const, secretHash: 'scrypt$1$a$b' }] }] };
    await expect(start({ registry, duration: '1s' })).rejects.toThrow(/none of the 1 devices has a plain "secret"/);
  });
});
