import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocalTime, formatPacket, frame, Framer, HJ212_OUTCOMES } from '../../gateway/src/hj212/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { TestLogger } from '../helpers/hj212-logger.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

// Random bytes and mutated valid frames into a logged-in HJ 212 connection of a real gateway.
let influx: TestInfluxd;
let gw: TestGateway;
const registry = { sites: [{ id: 'plant', name: 'Plant', sector: 'pollution_source', devices: [{ id: 'fz-01', protocol: 'hj212', hj212: { mn: 'FUZZ0001', password: 'PWFUZZ' } }] }] };

beforeAll(async () => {
  influx = await startTestInfluxd();
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, GATEWAY_HJ212_PORT: '0', GATEWAY_LOG_LEVEL: 'warn' }, registry);
});
afterAll(async () => {
  await gw?.stop();
  await influx?.stop();
});

async function metrics(): Promise<{ outcomes: Record<string, number>; held: number }> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  const outcomes: Record<string, number> = {};
  for (const m of text.matchAll(/^gateway_hj212_frames_total\{outcome="([a-z_]+)"\} (\d+)$/gm)) outcomes[m[1]!] = Number(m[2]);
  return { outcomes, held: Number(/^gateway_hj212_held_bytes (\d+)$/m.exec(text)?.[1] ?? NaN) };
}
const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

let seq = 0;
const valid = (v: number) =>
  frame(formatPacket({ qn: `20260101000000${String(seq++ % 1000).padStart(3, '0')}`, st: '32', cn: '2011', pw: 'PWFUZZ', mn: 'FUZZ0001', flag: { value: 5, ack: true, split: false, versionBits: 1, version: '2017' }, cp: `DataTime=${formatLocalTime(Date.now(), 'Asia/Shanghai')};w01018-Rtd=${v},w01018-Flag=N` }));

const mutation = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.integer({ min: 0, max: 500 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete', 'truncate')).map(([v, at, byte, how]) => {
    const b = Buffer.from(valid(v), 'latin1');
    const i = at % b.length;
    if (how === 'flip') b[i] = byte;
    if (how === 'insert') return Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
    if (how === 'delete') return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
    if (how === 'truncate') return b.subarray(0, i);
    return b;
  }),
  fc.constant(Buffer.from('##9999' + 'x'.repeat(2000))),
);

describe('HJ 212 fuzz', () => {
  it('counts every frame and refusal, holds at most one frame, and keeps serving', { timeout: 240_000 }, async () => {
    const l = await TestLogger.open(gw.hj212Port!);
    const login = valid(1);
    l.send(login);
    await l.until((r) => r.some((p) => p.cn === '9014'));
    const before = total((await metrics()).outcomes);
    const stream = fc.sample(fc.array(mutation, { minLength: 50, maxLength: 50 }), { numRuns: 20, seed: 212 }).flat();
    const bytes = Buffer.concat(stream);
    // The codec alone gives the count the listener must reach: one outcome per frame or refusal.
    const f = new Framer();
    const expected = [...f.push(bytes), ...f.end()].length;
    let maxHeld = 0;
    for (let at = 0; at < bytes.length; at += 4096) {
      l.send(bytes.subarray(at, at + 4096));
      if ((at / 4096) % 8 === 0) maxHeld = Math.max(maxHeld, (await metrics()).held);
    }
    l.socket.end();
    const after = await eventually(async () => {
      const m = await metrics();
      return total(m.outcomes) - before === expected ? m.outcomes : undefined;
    }, 120_000, `${expected} outcomes counted`);
    for (const k of Object.keys(after)) expect(HJ212_OUTCOMES).toContain(k);
    // Held bytes stay within one maximal frame plus the split-message bound per connection.
    expect(maxHeld).toBeLessThanOrEqual(1024 + 12 + 64 * 1024);
    // Still serving: a fresh logger logs in and is acknowledged.
    const fresh = await TestLogger.open(gw.hj212Port!);
    const probe = valid(7);
    fresh.send(probe);
    await fresh.until((r) => r.some((p) => p.cn === '9014'));
    fresh.close();
    expect((await gw.api('/healthz', { token: null })).status).toBe(200);
  });
});
