import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeData, Framer, HJ212_OUTCOMES } from '../../gateway/src/hj212/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { captureFiles, readCapture } from '../helpers/hj212-corpus.js';
import { TestLogger } from '../helpers/hj212-logger.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

// The real capture replayed through the listener, one connection per MN (a connection belongs
// to one logger). A bounded sample keeps CI time modest: the first hour's file (9,455 lines,
// 284 loggers); the whole capture goes through the codec in test/unit/hj212/corpus.test.ts.
const SAMPLE = captureFiles()[0]!;

/** The file's lines grouped by MN, in order; a line without an MN stays with the line before it. */
function streamsByMn(bytes: Buffer): Map<string, Buffer[]> {
  const streams = new Map<string, Buffer[]>();
  let current = '';
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    const line = bytes.subarray(start, i + 1);
    start = i + 1;
    if (line.length === 0) continue;
    const mn = /MN=([A-Za-z0-9._-]{1,48});/.exec(line.toString('latin1'))?.[1];
    if (mn) current = mn;
    let list = streams.get(current);
    if (!list) streams.set(current, (list = []));
    list.push(line);
  }
  return streams;
}

let influx: TestInfluxd;
let gw: TestGateway;
const streams = streamsByMn(readCapture(SAMPLE));
const mns = [...streams.keys()].filter((m) => m !== '');

beforeAll(async () => {
  influx = await startTestInfluxd();
  const registry = { sites: [{ id: 'corpus', name: 'Replayed capture', sector: 'pollution_source', devices: mns.map((mn) => ({ id: `mn-${mn}`, protocol: 'hj212', hj212: { mn, password: '123456' } })) }] };
  // The gateway clock runs from the end of the captured hour (2016-08-24 01:00 in Asia/Shanghai).
  const offset = Date.now() - Date.parse('2016-08-23T17:00:00Z');
  gw = await startTestGateway(
    { INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, GATEWAY_HJ212_PORT: '0', GATEWAY_MQTT_CONN_PER_SECOND: '0', GATEWAY_MAX_CLOCK_SKEW: '2h', GATEWAY_LOG_LEVEL: 'warn' },
    registry,
    undefined,
    { clock: () => Date.now() - offset },
  );
});

afterAll(async () => {
  await gw?.stop();
  await influx?.stop();
});

async function outcomes(): Promise<Record<string, number>> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^gateway_hj212_frames_total\{outcome="([a-z_]+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('the real capture replayed through the HJ 212 listener', () => {
  it('accepts or refuses every frame of every logger with a counted reason', { timeout: 300_000 }, async () => {
    // What the codec alone makes of each connection's bytes: the number of frames and refusals
    // the listener must count, and how many of them are intact frames.
    let expectedTotal = 0;
    let intact = 0;
    for (const lines of streams.values()) {
      const f = new Framer();
      for (const o of [...f.push(Buffer.concat(lines)), ...f.end()]) {
        expectedTotal++;
        if (o.type === 'frame' && decodeData(o.frame.data, o.frame.crc, 'hj212').ok) intact++;
      }
    }
    const loggers: TestLogger[] = [];
    for (const lines of streams.values()) {
      const l = await TestLogger.open(gw.hj212Port!);
      loggers.push(l);
      l.send(Buffer.concat(lines));
    }
    // Closing each connection ends its stream: a frame cut off at the end is counted too.
    await new Promise((r) => setTimeout(r, 1000));
    const counted = await eventually(async () => {
      const o = await outcomes();
      const total = Object.values(o).reduce((a, b) => a + b, 0);
      if (total >= expectedTotal - 50) for (const l of loggers) l.socket.end();
      return total === expectedTotal ? o : undefined;
    }, 240_000, `${expectedTotal} frames counted`);
    for (const k of Object.keys(counted)) expect(HJ212_OUTCOMES).toContain(k);
    // Every intact frame of a registered logger with the right PW is accepted, except those the
    // late-data policy refuses (loggers whose clock reads 2000: too_old) or whose DataTime is no date.
    expect((counted.accepted ?? 0) + (counted.too_old ?? 0) + (counted.bad_datatime ?? 0)).toBe(intact);
    expect(counted.too_old ?? 0).toBeLessThan(200);
    expect(intact).toBeGreaterThan(9_300);
    await eventually(async () => {
      const [r] = await influx.query(`SELECT COUNT("sha256") FROM "hj212_frame"`);
      return Number(r?.series[0]?.values[0]?.[1] ?? 0) === (counted.accepted ?? 0);
    }, 60_000, 'every accepted frame in hj212_frame');
  });
});
