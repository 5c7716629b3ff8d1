import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishDetections, publishTelemetry, raise, resolveAndClose } from '../helpers/events.js';
import { eventually, startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';

// One gateway for the file. Only warning events go overdue here (after 2 s), so the lifecycle
// tests use critical and major events and their transition lists stay exact.
// Devices: ch4-01 (mining.methane, clears at once below 1.0 %), gas-01 / gas-02
// (hazchem.combustible-gas critical >= 50 %LEL, toxic gas warning >= 10 ppm), cam-01.
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_OVERDUE_CRITICAL: 'off', GATEWAY_OVERDUE_MAJOR: 'off', GATEWAY_OVERDUE_WARNING: '2s' });
});

afterAll(async () => {
  await gw?.stop();
});

const detail = async (id: string) => {
  const res = await gw.api(`/api/events/${id}`);
  expect(res.status).toBe(200);
  return res.body;
};
const types = (d: { transitions: Array<{ type: string }> }) => d.transitions.map((t) => t.type);

describe('raising and clearing by the rules', () => {
  let id: string;

  it('raises an open event whose raised transition names the rule as actor, with severity and value', async () => {
    id = await raise(gw, 'ch4-01', { ch4: 2 });
    const d = await detail(id);
    expect(d).toMatchObject({ state: 'open', site: 'mine-007', device: 'ch4-01', rule: 'mining.methane', severity: 'critical', value: 2, suppressed: false });
    expect(d.transitions).toHaveLength(1);
    expect(d.transitions[0]).toMatchObject({ eventId: id, type: 'raised', actor: 'mining.methane', severity: 'critical', value: 2, disposition: null });
    expect(d.transitions[0].note).toBe(d.message);
    expect(d.transitions[0].at).toBe(d.raisedAt);
  });

  it('resolves the event as system when the rule clear condition holds', async () => {
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.4 });
    const d = await detail(id);
    expect(d.state).toBe('resolved');
    expect(d.resolvedAt).toEqual(expect.any(Number));
    expect(types(d)).toEqual(['raised', 'resolved']);
    expect(d.transitions[1]).toMatchObject({ type: 'resolved', actor: 'system', value: 0.4, severity: 'critical' });
  });

  it('escalates an open event when a more severe level holds, with the rule as actor, and never lowers it', async () => {
    const major = await raise(gw, 'ch4-01', { ch4: 1.2 });
    expect((await detail(major)).severity).toBe('major');
    await publishTelemetry(gw, 'ch4-01', { ch4: 1.8 });
    await publishTelemetry(gw, 'ch4-01', { ch4: 1.2 });
    const d = await detail(major);
    expect(d.severity).toBe('critical');
    expect(types(d)).toEqual(['raised', 'escalated']);
    expect(d.transitions[1]).toMatchObject({ actor: 'mining.methane', severity: 'critical', value: 1.8 });
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.2 });
    expect((await detail(major)).state).toBe('resolved');
  });

  it('keeps one unresolved event per rule and device while the violation goes on', async () => {
    const first = await raise(gw, 'ch4-01', { ch4: 2 });
    const more = await publishTelemetry(gw, 'ch4-01', { ch4: 2.5 });
    expect(more).toEqual([]);
    const open = await gw.api('/api/events?device=ch4-01&state=open');
    expect(open.body.events.map((e: { id: string }) => e.id)).toEqual([first]);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
  });
});

describe('people moving an event through its lifecycle', () => {
  it('walks open, acknowledged, commented, resolved, closed with the API user as actor of each, in order', async () => {
    const id = await raise(gw, 'gas-01', { gas_lel: 60 });
    const ack = await gw.post(`/api/events/${id}/acknowledge`, { note: 'on my way' });
    expect(ack.status).toBe(200);
    expect(ack.body.event.state).toBe('acknowledged');
    expect(ack.body.transition).toMatchObject({ type: 'acknowledged', actor: 'admin', note: 'on my way', severity: 'critical', value: 60 });
    expect((await gw.post(`/api/events/${id}/comments`, { note: 'valve V-3 was open' })).status).toBe(200);
    expect((await gw.post(`/api/events/${id}/resolve`, { note: 'valve closed, gas below 5 %LEL' })).body.event.state).toBe('resolved');
    const close = await gw.post(`/api/events/${id}/close`, { disposition: 'rectified', note: 'operator retrained' });
    expect(close.status).toBe(200);

    const d = await detail(id);
    expect(d).toMatchObject({ state: 'closed', disposition: 'rectified' });
    expect(d.acknowledgedAt).toBeLessThanOrEqual(d.resolvedAt);
    expect(d.resolvedAt).toBeLessThanOrEqual(d.closedAt);
    expect(d.transitions.map((t: { type: string; actor: string; note: string | null; disposition: string | null }) => [t.type, t.actor, t.note, t.disposition])).toEqual([
      ['raised', 'hazchem.combustible-gas', d.message, null],
      ['acknowledged', 'admin', 'on my way', null],
      ['commented', 'admin', 'valve V-3 was open', null],
      ['resolved', 'admin', 'valve closed, gas below 5 %LEL', null],
      ['closed', 'admin', 'operator retrained', 'rectified'],
    ]);
    const seqs = d.transitions.map((t: { seq: number }) => t.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (const t of d.transitions) expect(t).toMatchObject({ eventId: id, severity: 'critical', value: 60, at: expect.any(Number) });
  });

  it('lets a supervisor resolve an open event straight away with a note, and a new violation then raises a new event', async () => {
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    const res = await gw.post(`/api/events/${id}/resolve`, { note: 'sensor washed by water jet' });
    expect(res.body.event.state).toBe('resolved');
    expect(types(await detail(id))).toEqual(['raised', 'resolved']);
    const again = await raise(gw, 'ch4-01', { ch4: 2.2 });
    expect(again).not.toBe(id);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
  });

  it('answers 200 with no transition and records nothing when an event is acknowledged twice', async () => {
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    expect((await gw.post(`/api/events/${id}/acknowledge`, {})).body.transition.type).toBe('acknowledged');
    const twice = await gw.post(`/api/events/${id}/acknowledge`, { note: 'again' });
    expect(twice.status).toBe(200);
    expect(twice.body.transition).toBeNull();
    expect(twice.body.event.state).toBe('acknowledged');
    expect(types(await detail(id))).toEqual(['raised', 'acknowledged']);
    const audit = await gw.api(`/api/audit?event=${id}`);
    expect(audit.body.records).toHaveLength(2);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
  });

  it('resolves an acknowledged event as system when the rule clears', async () => {
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    await gw.post(`/api/events/${id}/acknowledge`, {});
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.3 });
    const d = await detail(id);
    expect(d.state).toBe('resolved');
    expect(d.transitions.at(-1)).toMatchObject({ type: 'resolved', actor: 'system' });
  });
});

describe('requests the lifecycle refuses', () => {
  // gas-02's combustible-gas rule: one closed, one resolved and one open event.
  let closed: string;
  let resolved: string;
  let open: string;

  beforeAll(async () => {
    closed = await raise(gw, 'gas-02', { gas_lel: 70 });
    await resolveAndClose(gw, closed);
    resolved = await raise(gw, 'gas-02', { gas_lel: 70 });
    await gw.post(`/api/events/${resolved}/resolve`, { note: 'cleared' });
    open = await raise(gw, 'gas-02', { gas_lel: 70 });
  });
  afterAll(async () => {
    await resolveAndClose(gw, open);
  });

  const refusals: Array<[string, () => string, string, Record<string, unknown>, string]> = [
    ['closing an open event', () => open, 'close', { disposition: 'false_alarm', note: 'n' }, 'open'],
    ['acknowledging a resolved event', () => resolved, 'acknowledge', {}, 'resolved'],
    ['resolving a resolved event', () => resolved, 'resolve', { note: 'n' }, 'resolved'],
    ['resolving a closed event', () => closed, 'resolve', { note: 'n' }, 'closed'],
    ['acknowledging a closed event', () => closed, 'acknowledge', {}, 'closed'],
    ['closing a closed event', () => closed, 'close', { disposition: 'duplicate', note: 'n' }, 'closed'],
  ];
  for (const [what, id, action, body, state] of refusals) {
    it(`answers 409 GW_CONFLICT with the current state (${state}) for ${what}, and records nothing`, async () => {
      const before = (await detail(id())).transitions.length;
      const res = await gw.post(`/api/events/${id()}/${action}`, body);
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'GW_CONFLICT', state });
      expect((await detail(id())).transitions).toHaveLength(before);
    });
  }

  it('answers 400 naming the disposition when closing without one', async () => {
    const res = await gw.post(`/api/events/${resolved}/close`, { note: 'no disposition' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('GW_BAD_REQUEST');
    expect(res.body.error.message).toContain('disposition');
    expect((await detail(resolved)).state).toBe('resolved');
  });

  it('answers 400 for a disposition outside the list', async () => {
    const res = await gw.post(`/api/events/${resolved}/close`, { disposition: 'whatever', note: 'n' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('disposition');
  });

  it('answers 400 naming the note when closing with a disposition and no note', async () => {
    const res = await gw.post(`/api/events/${resolved}/close`, { disposition: 'false_alarm', note: '   ' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('note');
  });

  it('answers 400 when a supervisor resolves without a note', async () => {
    const res = await gw.post(`/api/events/${open}/resolve`, {});
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('note');
    expect((await detail(open)).state).toBe('open');
  });

  const unknown = 'ev-000000001-00000000aa';
  it('answers 404 GW_NOT_FOUND for an unknown event id, on reading and on each action', async () => {
    const answers = [
      await gw.api(`/api/events/${unknown}`),
      await gw.post(`/api/events/${unknown}/acknowledge`, {}),
      await gw.post(`/api/events/${unknown}/comments`, { note: 'n' }),
      await gw.post(`/api/events/${unknown}/resolve`, { note: 'n' }),
      await gw.post(`/api/events/${unknown}/close`, { disposition: 'other', note: 'n' }),
    ];
    for (const a of answers) expect(a).toMatchObject({ status: 404, body: { error: { code: 'GW_NOT_FOUND' } } });
  });

  it('answers 400 GW_BAD_CURSOR for a page cursor it never issued', async () => {
    const res = await gw.api('/api/events?cursor=garbage');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('GW_BAD_CURSOR');
  });

  it('pages through events with nextCursor, newest first, without repeating or skipping one', async () => {
    const all = (await gw.api('/api/events?order=newest&limit=1000')).body.events.map((e: { id: string }) => e.id);
    expect(all.length).toBeGreaterThan(4);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { events: Array<{ id: string }>; nextCursor: string | null } } = await gw.api(`/api/events?order=newest&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...res.body.events.map((e) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });
});

describe('reading one event', () => {
  it('returns its rule with id, version, item and legal basis', async () => {
    const id = await raise(gw, 'ch4-01', { ch4: 3 });
    const d = await detail(id);
    expect(d.ruleInfo).toMatchObject({ id: 'mining.methane', item: 'MN-01', basis: 'Coal Mine Safety Regulations' });
    expect(d.ruleInfo.version).toBe(d.ruleVersion);
    expect(d.ruleInfo.version).toMatch(/\S/);
    expect(d.evidence).toEqual([]);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
  });

  it('returns the detections that raised a camera event as its evidence', async () => {
    const got = await publishDetections(gw, [{ type: 'intrusion', confidence: 0.92, bbox: [10, 20, 110, 220] }], 'https://cams.example/cam-01/1.jpg');
    const raised = got.find((a) => a.transition.type === 'raised');
    expect(raised).toBeDefined();
    const d = await detail(raised!.event.id);
    expect(d).toMatchObject({ rule: 'hazchem.intrusion', camera: 'cam-01', detectionType: 'intrusion', severity: 'major' });
    expect(d.ruleInfo).toMatchObject({ id: 'hazchem.intrusion', item: 'HC-07' });
    expect(d.ruleInfo.basis).toMatch(/SAWS Order No\. 40/);
    expect(d.evidence).toEqual([{ ts: expect.any(Number), confidence: 0.92, bbox: [10, 20, 110, 220], snapshot: 'https://cams.example/cam-01/1.jpg' }]);
  });
});

describe('overdue events', () => {
  it('marks a warning event not acknowledged within 2 s overdue, as system, and repeats every 2 s', async () => {
    const id = await raise(gw, 'gas-02', { toxic_ppm: 15 });
    const d = await eventually(async () => {
      const x = await detail(id);
      return types(x).filter((t: string) => t === 'overdue').length >= 2 ? x : undefined;
    }, 10_000, 'two overdue transitions');
    expect(d.overdue).toBe(true);
    expect(d.state).toBe('open');
    const overdue = d.transitions.filter((t: { type: string }) => t.type === 'overdue');
    expect(overdue[0]).toMatchObject({ actor: 'system', severity: 'warning', value: 15, note: 'not acknowledged within 2 s' });
    expect(overdue[1].at - overdue[0].at).toBeGreaterThanOrEqual(2000);
  });

  it('stops marking an event overdue once it is acknowledged', async () => {
    const acked = (await gw.api('/api/events?device=gas-02&state=open&severity=warning')).body.events[0].id;
    expect((await gw.post(`/api/events/${acked}/acknowledge`, {})).status).toBe(200);
    const count = types(await detail(acked)).length;
    // A fresh warning event going overdue twice shows the overdue check ran past the acked one's interval.
    const probe = await raise(gw, 'gas-01', { toxic_ppm: 15 });
    await eventually(async () => types(await detail(probe)).filter((t: string) => t === 'overdue').length >= 2, 10_000, 'the probe event overdue twice');
    const after = await detail(acked);
    expect(types(after)).toHaveLength(count);
    expect(after.overdue).toBe(false);
    await gw.post(`/api/events/${probe}/acknowledge`, {});
  });
});

describe('maintenance windows', () => {
  it('records an event raised inside a site window as suppressed and still lists it', async () => {
    const now = Date.now();
    const win = await gw.post('/api/maintenance', { site: 'mine-007', start: now - 1000, end: now + 60_000, reason: 'sensor calibration' });
    expect(win.status).toBe(201);
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    expect((await detail(id)).suppressed).toBe(true);
    const listed = (await gw.api('/api/events?site=mine-007&state=open')).body.events;
    expect(listed.find((e: { id: string }) => e.id === id)).toMatchObject({ suppressed: true });
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
    expect((await gw.post(`/api/maintenance/${win.body.id}/end`, undefined)).status).toBe(200);
  });

  it('raises events normally again after the window has ended', async () => {
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    expect((await detail(id)).suppressed).toBe(false);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
  });

  it('suppresses only the device named by a device window', async () => {
    const now = Date.now();
    const win = await gw.post('/api/maintenance', { site: 'hb-chem-001', device: 'gas-01', start: now - 1000, end: now + 60_000, reason: 'detector swap' });
    const inside = await raise(gw, 'gas-01', { gas_lel: 80 });
    const outside = await raise(gw, 'gas-02', { gas_lel: 80 });
    expect((await detail(inside)).suppressed).toBe(true);
    expect((await detail(outside)).suppressed).toBe(false);
    await gw.post(`/api/maintenance/${win.body.id}/end`, undefined);
    await resolveAndClose(gw, inside);
    await resolveAndClose(gw, outside);
  });
});

describe('exporting events', () => {
  it('exports events as CSV with a header row and one row per event in the time range', async () => {
    const since = Date.now() - 3_600_000;
    const res = await fetch(`${gw.httpUrl}/api/events/export?format=csv&since=${since}`, { headers: { authorization: 'Bearer test-token-0123456789abcdef' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).trimEnd().split('\n');
    expect(lines[0]).toBe('id,site,device,sector,item,rule,ruleVersion,severity,state,raisedAt,detectedAt,late,acknowledgedAt,resolvedAt,closedAt,secondsToAcknowledge,secondsToClose,disposition,suppressed,value,threshold,message');
    const listed = (await gw.api(`/api/events?since=${since}&limit=1000`)).body.events;
    expect(lines).toHaveLength(listed.length + 1);
    const closed = listed.find((e: { disposition: string | null }) => e.disposition === 'rectified');
    expect(lines.find((l) => l.startsWith(closed.id))).toContain(',closed,');
  });

  it('exports events as NDJSON, one JSON object a line, and nothing outside since/until', async () => {
    const all = await gw.api('/api/events/export?format=ndjson');
    const rows = (all.body as string).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(3);
    const pivot = rows[Math.floor(rows.length / 2)];
    const until = Date.parse(pivot.raisedAt);
    const part = await gw.api(`/api/events/export?format=ndjson&until=${until}`);
    const partRows = (part.body as string).trim() ? (part.body as string).trimEnd().split('\n').map((l) => JSON.parse(l)) : [];
    expect(partRows.length).toBeLessThan(rows.length);
    for (const r of partRows) expect(Date.parse(r.raisedAt)).toBeLessThan(until);
  });
});

describe('a gateway restart between a raise and its acknowledgement', () => {
  let dir: string;
  let first: TestGateway | undefined;
  let second: TestGateway | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-restart-'));
  });
  afterAll(async () => {
    await first?.stop().catch(() => undefined);
    await second?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the open event, lets it be acknowledged after the restart, and resolves it as system when the rule clears', async () => {
    first = await startTestGateway({}, testRegistry, dir);
    const id = await raise(first, 'gas-01', { gas_lel: 65 });
    await first.stop();
    first = undefined;

    second = await startTestGateway({}, testRegistry, dir);
    const before = (await second.api(`/api/events/${id}`)).body;
    expect(before).toMatchObject({ state: 'open', value: 65 });
    const ack = await second.post(`/api/events/${id}/acknowledge`, { note: 'seen after restart' });
    expect(ack.body.transition).toMatchObject({ type: 'acknowledged', actor: 'admin' });
    // The clear must hold 30 s of reading time: readings carry their own timestamps.
    const t0 = Date.now();
    await publishTelemetry(second, 'gas-01', { gas_lel: 5 }, t0);
    await publishTelemetry(second, 'gas-01', { gas_lel: 4 }, t0 + 31_000);
    const after = (await second.api(`/api/events/${id}`)).body;
    expect(after.state).toBe('resolved');
    expect(after.transitions.map((t: { type: string; actor: string }) => `${t.type}:${t.actor}`)).toEqual(['raised:hazchem.combustible-gas', 'acknowledged:admin', 'resolved:system']);
    expect((await second.api('/api/audit/verify')).body.ok).toBe(true);
  });
});
