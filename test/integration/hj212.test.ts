import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocalTime, formatPacket, frame, type CrcMode } from '../../gateway/src/hj212/index.js';
import { seriesRows } from '../../gateway/src/storage/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackFor, TestLogger } from '../helpers/hj212-logger.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';

// HJ 212 loggers over real TCP into a real gateway writing to a real influxd.
const DOWNLINK_PW = 'DL-pw-7781';
const hj = (id: string, mn: string, crc: CrcMode = 'hj212') => ({ id, protocol: 'hj212', hj212: { mn, password: `PW-${mn}`, crc } });
const registry = {
  sites: [
    {
      id: 'plant-01',
      name: 'Example wastewater plant',
      sector: 'pollution_source',
      devices: [hj('cod-rt', 'MNRT0001'), hj('cod-hour', 'MNHR0001'), hj('cod-mb', 'MNMB0001', 'modbus'), hj('cod-bad', 'MNBD0001'), hj('cod-dur', 'MNDU0001'), { ...hj('cod-cmd', 'MNCM0001'), hj212: { ...hj('cod-cmd', 'MNCM0001').hj212, downlinkPassword: DOWNLINK_PW } }, hj('cod-alarm', 'MNAL0001'), hj('cod-boot', 'MNBT0001')],
    },
  ],
};

let influx: TestInfluxd;
let gw: TestGateway;
const loggers: TestLogger[] = [];

beforeAll(async () => {
  influx = await startTestInfluxd();
  // A 1 h clock-skew window lets a test send the last 11 minutes of a logger's data.
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, INFLUX_TIMEOUT: '500ms', GATEWAY_HJ212_PORT: '0', GATEWAY_MAX_CLOCK_SKEW: '1h' }, registry);
});

afterAll(async () => {
  for (const l of loggers) l.close();
  await gw?.stop();
  await influx?.stop();
});

async function open(): Promise<TestLogger> {
  const l = await TestLogger.open(gw.hj212Port!);
  loggers.push(l);
  return l;
}

let qnSeq = 0;
const nextQn = () => formatLocalTime(Date.now(), 'Asia/Shanghai', true).slice(0, 14) + String(qnSeq++ % 1000).padStart(3, '0');
const dataTime = (at: number) => formatLocalTime(at, 'Asia/Shanghai');
function dataFrame(mn: string, cn: string, cp: string, opts: { qn?: string; pw?: string; mode?: CrcMode } = {}) {
  const qn = opts.qn ?? nextQn();
  const text = frame(formatPacket({ qn, st: '32', cn, pw: opts.pw ?? `PW-${mn}`, mn, flag: { value: 5, ack: true, split: false, versionBits: 1, version: '2017' }, cp }), opts.mode ?? 'hj212');
  return { qn, text };
}

async function rows(influxql: string): Promise<Record<string, unknown>[]> {
  const [result] = await influx.query(influxql);
  return result?.series.flatMap(seriesRows) ?? [];
}
async function frames(outcome: string): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  const m = new RegExp(`^gateway_hj212_frames_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
const eventsOf = async (device: string) => (await gw.api(`/api/events?site=plant-01&device=${device}`)).body.events as any[];

describe('HJ 212 loggers over TCP', () => {
  it('raises an event when a logger reports COD (2011) over its level for 10 minutes, naming the frame in the evidence', async () => {
    const l = await open();
    const t0 = Date.now() - 11 * 60_000;
    const sent: { qn: string; text: string }[] = [];
    for (let m = 0; m <= 11; m++) {
      const f = dataFrame('MNRT0001', '2011', `DataTime=${dataTime(t0 + m * 60_000)};w01018-Rtd=150.0,w01018-Flag=N;w21003-Rtd=3.2,w21003-Flag=N`);
      sent.push(f);
      l.send(f.text);
    }
    await l.until(ackFor(sent.at(-1)!.qn));
    const [event] = await eventually(async () => ((await eventsOf('cod-rt'))?.length ? eventsOf('cod-rt') : undefined), 10_000, 'an event for cod-rt');
    expect(event).toMatchObject({ rule: 'pollution.hj212-cod-rt', metric: 'w01018', severity: 'warning', value: 150 });
    const detail = (await gw.api(`/api/events/${event.id}`)).body;
    const sha = detail.evidence?.[0]?.frame ?? detail.event?.evidence?.[0]?.frame;
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    // The frame behind it is stored with its raw text.
    const stored = await eventually(async () => {
      const r = await rows(`SELECT "raw", "qn" FROM "hj212_frame" WHERE "sha256" = '${sha}'`);
      return r.length ? r : undefined;
    }, 15_000, 'the frame in hj212_frame');
    expect(sent.map((s) => s.text.slice(0, -2))).toContain(stored[0]!.raw);
    const tele = await eventually(async () => {
      const r = await rows(`SELECT "w01018", "w21003" FROM "telemetry" WHERE "device" = 'cod-rt' AND "interval" = 'rt'`);
      return r.length === 12 ? r : undefined;
    }, 15_000, 'twelve telemetry points');
    expect(tele[0]).toMatchObject({ w01018: 150, w21003: 3.2 });
  });

  it('raises the hourly COD rule on a 2061 hourly average and not on minute (2051) averages', async () => {
    const l = await open();
    const hour = Date.now() - 60 * 60_000;
    const minute = dataFrame('MNHR0001', '2051', `DataTime=${dataTime(hour)};w01018-Avg=130.0,w01018-Flag=N`);
    l.send(minute.text);
    await l.until(ackFor(minute.qn));
    expect((await eventsOf('cod-hour')).filter((e) => e.rule === 'pollution.hj212-cod-hourly')).toEqual([]);
    const hourly = dataFrame('MNHR0001', '2061', `DataTime=${dataTime(hour)};w01018-Avg=130.0,w01018-Flag=N`);
    l.send(hourly.text);
    await l.until(ackFor(hourly.qn));
    const [event] = await eventually(async () => (await eventsOf('cod-hour')).filter((e) => e.rule === 'pollution.hj212-cod-hourly').at(0) && eventsOf('cod-hour'), 10_000, 'the hourly event');
    expect(event).toMatchObject({ rule: 'pollution.hj212-cod-hourly', metric: 'w01018_avg', severity: 'major', value: 130 });
  });

  it('raises one logger-alarm event from repeated 2072 alarms, naming the first frame in its evidence', async () => {
    const l = await open();
    // The corpus's shape: AlarmTime, a 2005 code with -Ala, AlarmType; sent again 5 minutes later.
    const sent = [0, 5].map((m) => dataFrame('MNAL0001', '2072', `AlarmTime=${dataTime(Date.now() - (10 - m) * 60_000)};B01-Ala=16.00,AlarmType=1`));
    for (const f of sent) l.send(f.text);
    await l.until(ackFor(sent[1]!.qn));
    const events = await eventsOf('cod-alarm');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ rule: 'hj212.logger-alarm', item: 'PS-06', metric: 'w00000_ala', value: 16, severity: 'warning', state: 'open' });
    const detail = (await gw.api(`/api/events/${events[0].id}`)).body;
    const sha = detail.evidence?.[0]?.frame ?? detail.event?.evidence?.[0]?.frame;
    const stored = await eventually(async () => {
      const r = await rows(`SELECT sha256 FROM hj212_frame WHERE device = 'cod-alarm'`);
      return r.length === 2 ? r : undefined;
    }, 20_000, 'both 2072 frames in hj212_frame');
    expect(stored.map((r) => r.sha256)).toContain(sha);
  });

  it('records a logger restart (2081) as a device_boot point with the restart time', async () => {
    const l = await open();
    const restarted = Date.now() - 3 * 60_000;
    const f = dataFrame('MNBT0001', '2081', `DataTime=${dataTime(Date.now() - 60_000)};RestartTime=${dataTime(restarted)}`);
    l.send(f.text);
    await l.until(ackFor(f.qn));
    const boot = await eventually(async () => {
      const r = await rows(`SELECT restarted_at, source, frame FROM device_boot WHERE device = 'cod-boot'`);
      return r.length ? r : undefined;
    }, 20_000, 'the device_boot point');
    expect(boot[0]).toMatchObject({ restarted_at: Math.floor(restarted / 1000) * 1000, source: 'hj212', frame: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('answers a Modbus-CRC logger in Modbus CRC', async () => {
    const l = await open();
    const f = dataFrame('MNMB0001', '2011', `DataTime=${dataTime(Date.now())};w01018-Rtd=20`, { mode: 'modbus' });
    l.send(f.text);
    await l.until(ackFor(f.qn));
  });

  it('refuses and counts a wrong PW, an unknown MN, a bad CRC and non-ASCII bytes', async () => {
    const before = { bad_password: await frames('bad_password'), unknown_mn: await frames('unknown_mn'), bad_crc: await frames('bad_crc'), not_ascii: await frames('not_ascii') };
    const a = await open();
    a.send(dataFrame('MNBD0001', '2011', `DataTime=${dataTime(Date.now())};w01018-Rtd=1`, { pw: 'WRONG1' }).text);
    await a.until((r) => r.some((p) => p.cn === '9011' && p.cp === 'QnRtn=3'));
    a.send(dataFrame('NOSUCHMN', '2011', `DataTime=${dataTime(Date.now())};w01018-Rtd=1`).text);
    await a.until((r) => r.some((p) => p.cn === '9011' && p.cp === 'QnRtn=4'));
    const b = await open();
    const good = dataFrame('MNBD0001', '2011', `DataTime=${dataTime(Date.now())};w01018-Rtd=1`);
    const corrupt = good.text.slice(0, 40) + (good.text[40] === '1' ? '2' : '1') + good.text.slice(41);
    b.send(corrupt);
    b.send(Buffer.concat([Buffer.from('##0031'), Buffer.from('CN=2011;MN=MNBD0001;CP=&&测试&&', 'utf8').subarray(0, 31), Buffer.from('0000\r\n')]));
    await eventually(async () => (await frames('bad_crc')) > before.bad_crc && (await frames('not_ascii')) > before.not_ascii, 10_000, 'bad_crc and not_ascii counted');
    expect(await frames('bad_password')).toBe(before.bad_password + 1);
    expect(await frames('unknown_mn')).toBe(before.unknown_mn + 1);
    // Nothing from those frames is stored; the device is not logged in either.
    expect(await rows(`SELECT * FROM "telemetry" WHERE "device" = 'cod-bad'`)).toEqual([]);
  });

  it('calibrates a logger\'s time over the downlink and tracks QnRtn, ExeRtn and the audit trail', async () => {
    expect((await gw.post('/api/devices/cod-cmd/hj212/commands', { command: 'time.set' })).status).toBe(409);
    const l = await open();
    const login = dataFrame('MNCM0001', '2011', `DataTime=${dataTime(Date.now())};w01018-Rtd=10`);
    l.send(login.text);
    await l.until(ackFor(login.qn));
    const res = await gw.post('/api/devices/cod-cmd/hj212/commands', { command: 'time.set' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ cn: '1012', state: 'sent' });
    const [cmd] = (await l.until((r) => r.some((p) => p.cn === '1012'))).filter((p) => p.cn === '1012');
    expect(cmd!.qn).toBe(res.body.qn);
    const sent = /SystemTime=(\d{14})/.exec(cmd!.cp)![1]!;
    expect(Math.abs(Date.parse(`${sent.slice(0, 4)}-${sent.slice(4, 6)}-${sent.slice(6, 8)}T${sent.slice(8, 10)}:${sent.slice(10, 12)}:${sent.slice(12, 14)}+08:00`) - Date.now())).toBeLessThan(10_000);
    // The logger takes the request (9011 QnRtn=1) and reports it done (9012 ExeRtn=1), same QN.
    const reply = (cn: string, cp: string) => frame(formatPacket({ qn: cmd!.qn, st: '91', cn, pw: 'PW-MNCM0001', mn: 'MNCM0001', flag: { value: 4, ack: false, split: false, versionBits: 1, version: '2017' }, cp }));
    l.send(reply('9011', 'QnRtn=1'));
    l.send(reply('9012', 'ExeRtn=1'));
    const done = await eventually(async () => {
      const r = await gw.api(`/api/devices/cod-cmd/hj212/commands/${cmd!.qn}`);
      return r.body.state === 'done' ? r.body : undefined;
    }, 10_000, 'the command done');
    expect(done).toMatchObject({ qnRtn: '1', exeRtn: '1', by: 'admin' });
    // The same command is a device command record: QnRtn=1 delivered, ExeRtn=1 replied, each step audited.
    const record = (await gw.api(`/api/commands/${res.body.commandId}`)).body;
    expect(record).toMatchObject({ device: 'cod-cmd', name: 'time.set', transport: 'hj212', ref: cmd!.qn, state: 'replied', reply: { status: 'ok' } });
    expect(record.transitions.map((t: any) => t.state)).toEqual(['queued', 'delivered', 'replied']);
    const audit = (await gw.api('/api/audit?site=plant-01')).body.records.filter((r: any) => r.kind === 'command');
    expect(audit.map((r: any) => r.type)).toEqual(['command.queued', 'command.delivered', 'command.replied']);
    // time.read: the logger answers 1011 with its clock, which the command keeps.
    const read = (await gw.post('/api/devices/cod-cmd/hj212/commands', { command: 'time.read' })).body;
    await l.until((r) => r.some((p) => p.cn === '1011' && p.qn === read.qn));
    l.send(frame(formatPacket({ qn: read.qn, st: '32', cn: '1011', pw: 'PW-MNCM0001', mn: 'MNCM0001', flag: { value: 4, ack: false, split: false, versionBits: 1, version: '2017' }, cp: 'SystemTime=20261201120000' })));
    const got = await eventually(async () => {
      const r = await gw.api(`/api/devices/cod-cmd/hj212/commands/${read.qn}`);
      return r.body.data?.SystemTime ? r.body : undefined;
    }, 10_000, 'the logger time');
    expect(got.data).toEqual({ SystemTime: '20261201120000' });
    expect((await gw.api(`/api/commands/${read.commandId}`)).body).toMatchObject({ state: 'replied', reply: { result: { SystemTime: '20261201120000' } } });
  });

  it('sends the downlink through POST /api/devices/:id/commands too, with the downlinkPassword in the frame and nowhere in the API or logs', async () => {
    const l = await open();
    const login = dataFrame('MNCM0001', '2011', `DataTime=${dataTime(Date.now())};w01018-Rtd=10`);
    l.send(login.text);
    await l.until(ackFor(login.qn));
    const res = await gw.post('/api/devices/cod-cmd/commands', { name: 'interval.set', payload: { seconds: 30 }, ttl: 30 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ transport: 'hj212', name: 'interval.set', payload: { seconds: 30 }, state: 'queued' });
    expect(res.body.expiresAt - res.body.issuedAt).toBe(30_000);
    const [sent] = (await l.until((r) => r.some((p) => p.cn === '1062'))).filter((p) => p.cn === '1062');
    expect(sent!.qn).toBe(res.body.ref);
    expect(sent!.pw).toBe(DOWNLINK_PW);
    expect(sent!.cp).toBe('RtdInterval=30');
    expect((await gw.post('/api/devices/cod-cmd/commands', { name: 'interval.set', payload: { seconds: 0 } })).status).toBe(400);
    const seen = [JSON.stringify(res.body), JSON.stringify((await gw.api(`/api/commands/${res.body.id}`)).body), JSON.stringify((await gw.api('/api/devices/cod-cmd/commands')).body), JSON.stringify((await gw.api('/api/audit?site=plant-01&limit=500')).body), JSON.stringify((await gw.api('/api/sites')).body), gw.logs.join('')];
    for (const text of seen) expect(text).not.toContain(DOWNLINK_PW);
    // The logger never answers a command: it expires once its TTL has passed.
    const silent = (await gw.post('/api/devices/cod-cmd/commands', { name: 'interval.read', ttl: 1 })).body;
    const expired = await eventually(async () => {
      const r = (await gw.api(`/api/commands/${silent.id}`)).body;
      return r.state === 'expired' ? r : undefined;
    }, 10_000, 'the unanswered downlink command expired');
    expect(expired.transitions.map((t: any) => t.state)).toEqual(['queued', 'expired']);
  });

  it('answers a logger\'s time calibration request (1013) with the gateway\'s time (1012)', async () => {
    const l = await open();
    const req = dataFrame('MNCM0001', '1013', '');
    l.send(req.text);
    const [set] = (await l.until((r) => r.some((p) => p.cn === '1012'))).filter((p) => p.cn === '1012');
    expect(set!.cp).toMatch(/^SystemTime=\d{14}$/);
  });

  it('serves the factor table (names in Chinese and English, units) to the console', async () => {
    const res = await gw.api('/api/hj212/factors');
    expect(res.status).toBe(200);
    expect(res.body.factors.w01018).toEqual({ zh: '化学需氧量', en: 'COD', unit: 'mg/L' });
    expect(res.body.codes2005['011']).toBe('w01018');
  });

  it('sends 9014 once the frame is in the outbox while InfluxDB is stopped, and every value lands later', async () => {
    const l = await open();
    influx.server.kill('SIGSTOP');
    const qns: string[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const f = dataFrame('MNDU0001', '2011', `DataTime=${dataTime(Date.now() - (5 - i) * 1000)};w01018-Rtd=${40 + i}`);
        qns.push(f.qn);
        l.send(f.text);
        await l.until(ackFor(f.qn));
        // Acknowledged means in the outbox: the frame's value is in a journal segment already.
        const outbox = join(gw.dataDir, 'outbox');
        const journal = readdirSync(outbox)
          .filter((f) => !f.startsWith('cursor'))
          .map((f) => readFileSync(join(outbox, f), 'latin1'))
          .join('');
        expect(journal).toContain(`w01018=${40 + i}`);
      }
    } finally {
      influx.server.kill('SIGCONT');
    }
    const stored = await eventually(async () => {
      const r = await rows(`SELECT "w01018" FROM "telemetry" WHERE "device" = 'cod-dur'`);
      return r.length === 5 ? r : undefined;
    }, 30_000, 'all five values in InfluxDB');
    expect(stored.map((r) => r.w01018)).toEqual([40, 41, 42, 43, 44]);
  });
});
