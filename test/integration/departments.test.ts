import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { openSse } from '../helpers/sse.js';
import { EEB, EMB, HUD, supervisionRegistry } from '../helpers/supervision.js';

let gw: TestGateway;
let opEmb: string;
let opEeb: string;
let gasEvent: string;
let dustEvent: string;

async function raiseOn(device: string, site: string, metrics: Record<string, number>, item: string): Promise<string> {
  const client = await gw.connect(device);
  await client.publishAsync(`sites/${site}/devices/${device}/telemetry`, JSON.stringify({ metrics }), { qos: 1 });
  await client.endAsync();
  return (await eventually(async () => (await gw.api(`/api/events?site=${site}`)).body.events.find((e: any) => e.item === item), 10_000, `the ${item} event`)).id;
}

beforeAll(async () => {
  gw = await startTestGateway({}, supervisionRegistry);
  opEmb = (await gw.post('/api/users', { name: 'op-emb', role: 'operator', departments: [EMB] })).body.token;
  opEeb = (await gw.post('/api/users', { name: 'op-eeb', role: 'operator', departments: [EEB] })).body.token;
  gasEvent = await raiseOn('chem-d-gas', 'chem-d', { gas_lel: 58 }, 'HC-01');
  dustEvent = await raiseOn('cn-1-dust', 'cn-1', { pm10: 200 }, 'CN-01');
});

afterAll(async () => {
  await gw?.stop();
});

const ids = async (token: string) => (await gw.api('/api/events', { token })).body.events.map((e: any) => e.id);

describe('department-scoped users', () => {
  it('list only the events of their departments items', async () => {
    const mine = await ids(opEmb);
    expect(mine).toContain(gasEvent);
    expect(mine).not.toContain(dustEvent);
  });

  it('do not find an event of another department', async () => {
    expect((await gw.api(`/api/events/${dustEvent}`, { token: opEmb })).status).toBe(404);
    expect((await gw.post(`/api/events/${dustEvent}/acknowledge`, {}, opEmb)).status).toBe(404);
  });

  it("read only the audit rows of their departments' events", async () => {
    const rows = (await gw.api('/api/audit?limit=1000', { token: opEmb })).body.records as Array<{ eventId: string | null }>;
    expect(rows.map((r) => r.eventId)).toContain(gasEvent);
    expect(rows.every((r) => r.eventId === gasEvent)).toBe(true);
    expect((await gw.api(`/api/audit?event=${dustEvent}`, { token: opEmb })).body.records).toEqual([]);
  });

  it('tell who they are with their departments', async () => {
    expect((await gw.api('/api/me', { token: opEmb })).body).toMatchObject({ user: 'op-emb', departments: [EMB] });
  });
});

describe('referral', () => {
  it('hands an event to another department with a note, recorded as a referred transition', async () => {
    const res = await gw.post(`/api/events/${gasEvent}/refer`, { department: EEB, note: '疑似废气排放，移交生态环境局' }, opEmb);
    expect(res.status).toBe(200);
    expect(res.body.transition).toMatchObject({ type: 'referred', actor: 'op-emb', department: EEB, note: '疑似废气排放，移交生态环境局' });
    expect(res.body.event.state).toBe('open');
    const audit = (await gw.api(`/api/audit?event=${gasEvent}`)).body.records.find((r: any) => r.type === 'referred');
    expect(audit.detail).toEqual({ department: EEB, from: null });
  });

  it('moves the event to the receiving department list and out of the sender list', async () => {
    expect(await ids(opEeb)).toContain(gasEvent);
    expect(await ids(opEmb)).not.toContain(gasEvent);
    expect((await gw.api(`/api/events/${gasEvent}`, { token: opEeb })).status).toBe(200);
  });

  it('refuses a department the catalogue does not name', async () => {
    const res = await gw.post(`/api/events/${dustEvent}/refer`, { department: 'Tax Bureau', note: 'x' });
    expect(res.status).toBe(400);
  });

  it('refuses to refer a resolved event', async () => {
    await gw.post(`/api/events/${dustEvent}/resolve`, { note: 'dust settled' });
    const res = await gw.post(`/api/events/${dustEvent}/refer`, { department: HUD, note: 'x' });
    expect(res.status).toBe(409);
  });
});

describe('export', () => {
  it('holds only the events a department-scoped user may list', async () => {
    const res = await fetch(`${gw.httpUrl}/api/events/export?format=ndjson`, { headers: { authorization: `Bearer ${opEeb}` } });
    const ids = (await res.text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).id);
    expect(ids).toContain(gasEvent);
    expect(ids).not.toContain(dustEvent);
  });
});

describe('live stream', () => {
  it('brings a department user the events referred to it, and not the events of other departments', async () => {
    const hud = (await gw.post('/api/users', { name: 'op-hud', role: 'operator', departments: [HUD] })).body.token;
    const stream = await openSse(`${gw.httpUrl}/api/events/stream`, { token: hud });
    try {
      // The gas event (EMB's item, referred to EEB) goes to HUD now; a comment after that is HUD's to see.
      await gw.post(`/api/events/${gasEvent}/refer`, { department: HUD, note: '塔吊区域可燃气体，移交住建' });
      // An EMB event raised meanwhile must not reach HUD: the stream is in order, so it would come before the comment.
      await raiseOn('chem-a-gas', 'chem-a', { gas_lel: 58 }, 'HC-01');
      await gw.post(`/api/events/${gasEvent}/comments`, { note: 'seen by HUD' });
      const got = await stream.until((m) => m.json?.type === 'commented', 5000, 'the comment on the referred event');
      expect(got.json.event.id).toBe(gasEvent);
      expect(stream.messages.filter((m) => m.json?.event?.site === 'chem-a')).toEqual([]);
    } finally {
      stream.close();
    }
  });
});
