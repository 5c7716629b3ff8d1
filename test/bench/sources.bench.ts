// Cost of vendor payloads next to the gateway's own JSON, in one process and one run, so the
// ratio is what to read (the machine is shared; absolute figures move with its load).
// Rows: canonical telemetry decode (baseline); the same readings as DTU tag/value JSON through
// the dtu-tagvalue profile; a Frigate event through the frigate profile; an ISAPI XML alert
// through the hikvision-isapi profile. Run: npx tsx test/bench/sources.bench.ts
// BENCH_SECONDS (default 2) bounds each row.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { decodeMessage } from '../../gateway/src/ingest/index.js';
import { createLogger } from '../../gateway/src/observability/index.js';
import { createProfiles } from '../../gateway/src/profiles/index.js';
import type { RegisteredDevice } from '../../gateway/src/registry/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const dev = (id: string, profile?: string): RegisteredDevice => ({ site: 's1', device: id, sector: 'hazardous_chemicals', kind: 'camera', entry: { id, kind: 'camera', secret: 'bench-secret', ...(profile ? { profile } : {}) } as RegisteredDevice['entry'] });
const profiles = createProfiles({ dir: 'profiles', logger: createLogger('silent'), decode: (t, p, d, n) => decodeMessage(t, p, d, n), maxJsonDepth: 8 });

const now = Date.now();
const canonical = Buffer.from(JSON.stringify({ ts: now, metrics: { gas_lel: 12.5, temperature: 31.2, pressure: 1.25 } }));
const dtu = Buffer.from(JSON.stringify({ sn: 'DTU', time: new Date(now + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' '), data: [{ tag: 'GAS_LEL', v: '12.5' }, { tag: 'TT101', v: '31.2' }, { tag: 'PT101', v: '1250' }] }));
const frigate = (JSON.parse(readFileSync('test/fixtures/sources/frigate-sequence.json', 'utf8')) as unknown[])[1] as { after: { id: string } };
const isapi = Buffer.from(readFileSync('test/fixtures/sources/isapi-fielddetection.xml', 'utf8'));

function row(name: string, fn: (i: number) => unknown): number {
  for (let i = 0; i < 2000; i++) fn(i); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(SECONDS * 1e9);
  while (process.hrtime.bigint() < end) for (let k = 0; k < 200; k++) fn(n++);
  const ns = Number(process.hrtime.bigint() - start) / n;
  process.stdout.write(`${name.padEnd(44)} ${(1e9 / ns).toFixed(0).padStart(9)} msg/s ${(ns / 1000).toFixed(2).padStart(8)} us/msg\n`);
  return ns;
}

process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
const base = row('canonical telemetry (decodeMessage)', () => decodeMessage('sites/s1/devices/d1/telemetry', canonical, dev('d1'), now));
const d = row('DTU tag/value via dtu-tagvalue', () => profiles.fromMqtt(dev('d2', 'dtu-tagvalue'), 'sites/s1/devices/d2/dtu/data', dtu, now));
// A new Frigate id each time, so every message makes a detection (the once-memory stays bounded).
const f = row('Frigate update via frigate (new id each)', (i) => profiles.fromMqtt(dev('d3', 'frigate'), 'sites/s1/devices/d3/frigate/events', Buffer.from(JSON.stringify({ ...frigate, after: { ...frigate.after, id: `e${i}` } })), now));
const x = row('ISAPI XML alert via hikvision-isapi', () => profiles.fromHttp(dev('d4', 'hikvision-isapi'), 'isapi', { kind: 'xml', text: isapi }, now));
process.stdout.write(`ratios to canonical: DTU ${(d / base).toFixed(1)}x, Frigate ${(f / base).toFixed(1)}x (includes building the test message), ISAPI XML ${(x / base).toFixed(1)}x\n`);
