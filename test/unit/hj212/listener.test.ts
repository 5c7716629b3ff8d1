import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Reading } from '../../../gateway/src/domain/index.js';
import { createHj212Listener, formatPacket, frame, type FrameRecord, type Hj212Ingest, type Hj212Listener } from '../../../gateway/src/hj212/index.js';
import { createLogger, createMetrics } from '../../../gateway/src/observability/index.js';
import { hashSecret, parseRegistry } from '../../../gateway/src/registry/index.js';
import { ackFor, TestLogger } from '../../helpers/hj212-logger.js';

// The listener over real TCP on loopback, handing data to an in-process ingest whose
// durability the test controls (the whole gateway is in test/integration/hj212.test.ts).

const registry = parseRegistry({
  sites: [
    {
      id: 'plant',
      name: 'Plant',
      sector: 'pollution_source',
      devices: [
        { id: 'cod-01', protocol: 'hj212', hj212: { mn: 'MN0001', passwordHash: hashSecret('PW0001') } },
        { id: 'cod-02', protocol: 'hj212', hj212: { mn: 'MN0002', password: 'PW0002', crc: 'modbus' } },
        { id: 'gas-01', secret: 'plain-secret-1' },
      ],
    },
  ],
});

const data = (qn: string, cp: string, over: { mn?: string; pw?: string; cn?: string; flag?: number } = {}) =>
  formatPacket({ qn, st: '32', cn: over.cn ?? '2011', pw: over.pw ?? 'PW0001', mn: over.mn ?? 'MN0001', flag: { value: over.flag ?? 5, ack: ((over.flag ?? 5) & 1) === 1, split: false, versionBits: 1, version: '2017' }, cp });

let listener: Hj212Listener;
let port: number;
let metrics: ReturnType<typeof createMetrics>;
let readings: Reading[][];
let records: FrameRecord[];
let seen: number;
let hold: Promise<void> | null;
const loggers: TestLogger[] = [];

beforeEach(async () => {
  metrics = createMetrics();
  readings = [];
  records = [];
  seen = 0;
  hold = null;
  const ingest: Hj212Ingest = {
    readings: async (_d, r) => {
      readings.push(r);
      await hold;
      return { ok: true };
    },
    frames: async (_d, f) => {
      await hold;
      records.push(...f);
    },
    seen: () => void seen++,
    connection: () => undefined,
    eventTime: (ts, receivedAt) => (ts !== undefined && ts < receivedAt - 7 * 86_400_000 ? { ok: false, detail: 'older than the backfill window' } : { ok: true, ts: ts ?? receivedAt, skewed: ts === undefined }),
  };
  listener = createHj212Listener({ registry: () => registry, ingest, metrics, logger: createLogger('silent'), timezone: 'Asia/Shanghai', limits: { loginAttempts: 3 } });
  ({ port } = await listener.listen(0, '127.0.0.1'));
});

afterEach(async () => {
  for (const l of loggers.splice(0)) l.close();
  await listener.close();
});

async function open() {
  const l = await TestLogger.open(port);
  loggers.push(l);
  return l;
}
const outcome = (o: string) => metrics.render().match(new RegExp(`gateway_hj212_frames_total\\{outcome="${o}"\\} (\\d+)`))?.[1];
const now14 = () => new Date(Date.now() + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14);

describe('HJ 212 listener', () => {
  it('logs a logger in with its first frame and answers 9014 with the same QN', async () => {
    const l = await open();
    l.send(frame(data('20260101000000001', `DataTime=${now14()};w01018-Rtd=120.5,w01018-Flag=N`)));
    const [ack] = await l.until(ackFor('20260101000000001'));
    expect(ack).toMatchObject({ cn: '9014', st: '91', mn: 'MN0001', cp: '' });
    expect(readings[0]).toMatchObject([{ site: 'plant', device: 'cod-01', metric: 'w01018', value: 120.5, interval: 'rt', valid: true, flag: 'N' }]);
    expect(readings[0]![0]!.frame).toBe(records[0]!.sha256);
    expect(outcome('accepted')).toBe('1');
  });

  it('sends 9014 only after the frame is durable', async () => {
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    const l = await open();
    l.send(frame(data('20260101000000002', `DataTime=${now14()};w01018-Rtd=1`)));
    // The readings reached the ingest, whose write is not durable yet: no answer may come.
    await expect.poll(() => readings.length, { timeout: 10_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(l.replies).toEqual([]);
    release();
    await l.until(ackFor('20260101000000002'));
  });

  it('does not answer a frame whose Flag asks for no acknowledgement', async () => {
    const l = await open();
    l.send(frame(data('20260101000000003', `DataTime=${now14()};w01018-Rtd=1`, { flag: 4 })));
    l.send(frame(data('20260101000000004', `DataTime=${now14()};w01018-Rtd=2`)));
    await l.until(ackFor('20260101000000004'));
    expect(l.replies.map((r) => r.qn)).toEqual(['20260101000000004']);
  });

  it('answers in the device CRC mode and refuses the other CRC from a modbus device', async () => {
    const l = await open();
    l.send(frame(data('20260101000000005', `DataTime=${now14()};w01018-Rtd=1`, { mn: 'MN0002', pw: 'PW0002' }), 'modbus'));
    await l.until(ackFor('20260101000000005'));
    l.send(frame(data('20260101000000006', `DataTime=${now14()};w01018-Rtd=1`, { mn: 'MN0002', pw: 'PW0002' }), 'hj212'));
    await expect.poll(() => outcome('bad_crc')).toBe('1');
  });

  it('refuses an unknown MN with QnRtn=4, a wrong PW with QnRtn=3, and closes after three', async () => {
    const l = await open();
    l.send(frame(data('20260101000000007', 'DataTime=20260101000000', { mn: 'NOBODY' })));
    await l.until((r) => r.some((p) => p.cn === '9011' && p.cp === 'QnRtn=4'));
    l.send(frame(data('20260101000000008', 'DataTime=20260101000000', { pw: 'wrong1' })));
    await l.until((r) => r.some((p) => p.cn === '9011' && p.cp === 'QnRtn=3'));
    l.send(frame(data('20260101000000009', 'DataTime=20260101000000', { pw: 'wrong2' })));
    await l.untilClosed();
    expect(outcome('unknown_mn')).toBe('1');
    expect(outcome('bad_password')).toBe('2');
    expect(readings).toEqual([]);
  });

  it('does not let an MQTT device log in over HJ 212', async () => {
    const l = await open();
    l.send(frame(data('20260101000000010', 'DataTime=20260101000000', { mn: 'gas-01', pw: 'plain-secret-1' })));
    await expect.poll(() => outcome('unknown_mn')).toBe('1');
  });

  it('refuses a frame with another MN on a bound connection', async () => {
    const l = await open();
    l.send(frame(data('20260101000000011', `DataTime=${now14()};w01018-Rtd=1`)));
    await l.until(ackFor('20260101000000011'));
    l.send(frame(data('20260101000000012', `DataTime=${now14()};w01018-Rtd=1`, { mn: 'MN0002', pw: 'PW0002' })));
    await expect.poll(() => outcome('foreign_mn')).toBe('1');
    expect(readings).toHaveLength(1);
  });

  it('counts bad CRC, garbage, non-ASCII and over-long frames, and keeps going', async () => {
    const l = await open();
    const good = frame(data('20260101000000013', `DataTime=${now14()};w01018-Rtd=1`));
    const badCrc = good.slice(0, -6) + (good.slice(-6, -2) === '0000' ? '0001' : '0000') + '\r\n';
    l.send(badCrc + '\x00\x01junk' + frame('ST=\x00\x00;CN=2011;MN=MN0001;CP=&&&&') + '##2000' + 'x'.repeat(3000) + good);
    await l.until(ackFor('20260101000000013'));
    expect([outcome('bad_crc'), outcome('bad_header'), outcome('not_ascii'), outcome('too_large')]).toEqual(['1', '1', '1', '1']);
  });

  it('marks D-flagged values invalid and reads DataTime in Asia/Shanghai', async () => {
    const l = await open();
    l.send(frame(data('20260101000000014', `DataTime=${now14()};w01018-Rtd=999,w01018-Flag=D`)));
    await l.until(ackFor('20260101000000014'));
    const r = readings[0]![0]!;
    expect(r).toMatchObject({ valid: false, flag: 'D' });
    expect(Math.abs(r.ts - Date.now())).toBeLessThan(5000);
  });

  it('tags minute and hourly data with their interval', async () => {
    const l = await open();
    l.send(frame(data('20260101000000015', `DataTime=${now14()};w01018-Avg=10`, { cn: '2051' })));
    l.send(frame(data('20260101000000016', `DataTime=${now14()};w01018-Avg=11`, { cn: '2061' })));
    await l.until(ackFor('20260101000000016'));
    expect(readings.map((r) => [r[0]!.metric, r[0]!.interval])).toEqual([
      ['w01018_avg', 'min'],
      ['w01018_avg', 'hour'],
    ]);
  });

  it('counts a heartbeat as seen and stores its frame', async () => {
    const l = await open();
    l.send(frame(data('20260101000000017', 'CON-RT=0', { cn: '9015' })));
    await l.until(ackFor('20260101000000017'));
    expect(seen).toBe(1);
    expect(records.map((r) => r.cn)).toEqual(['9015']);
  });

  it('refuses data older than the backfill window as too_old, without an answer', async () => {
    const l = await open();
    l.send(frame(data('20260101000000018', 'DataTime=20000101000000;w01018-Rtd=1')));
    l.send(frame(data('20260101000000019', `DataTime=${now14()};w01018-Rtd=1`)));
    await l.until(ackFor('20260101000000019'));
    expect(outcome('too_old')).toBe('1');
    expect(l.replies.map((r) => r.qn)).toEqual(['20260101000000019']);
  });

  it('reassembles a split message and acknowledges every part once it is stored', async () => {
    const l = await open();
    const part = (pno: number, cp: string) => frame(formatPacket({ qn: '20260101000000020', st: '32', cn: '2061', pw: 'PW0001', mn: 'MN0001', flag: { value: 7, ack: true, split: true, versionBits: 1, version: '2017' }, pnum: 2, pno, cp }));
    l.send(part(1, `DataTime=${now14()};w01018-Avg=1`));
    await new Promise((r) => setTimeout(r, 300));
    expect(readings).toEqual([]);
    l.send(part(2, 'w21003-Avg=2'));
    await l.until((r) => r.filter((p) => p.qn === '20260101000000020').length === 2);
    expect(readings[0]!.map((r) => r.metric)).toEqual(['w01018_avg', 'w21003_avg']);
    expect(records).toHaveLength(2);
  });
});
