import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, TEST_TOKEN, testRegistry, type TestGateway } from '../helpers/gateway.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';
import { makeJpeg } from '../helpers/pictures.js';
import { basic, push } from '../helpers/push.js';
import { counter } from '../helpers/security.js';

// Vendor devices through the shipped payload profiles: a Frigate NVR and a DTU over real MQTT,
// a Hikvision box and the DTU over real HTTP, into a real gateway with a real influxd.
const fixture = (name: string) => readFileSync(`test/fixtures/sources/${name}`, 'utf8');
const registry = {
  sites: testRegistry.sites.map((s) =>
    s.id !== 'hb-chem-001'
      ? s
      : {
          ...s,
          devices: [
            ...s.devices,
            { id: 'nvr-01', kind: 'camera', secret: 'nvr-01-secret', profile: 'frigate' },
            { id: 'dtu-01', kind: 'gateway', secret: 'dtu-01-secret', profile: 'dtu-tagvalue' },
            { id: 'hik-01', kind: 'camera', secret: 'hik-01-secret', profile: 'hikvision-isapi' },
          ],
        },
  ),
};
const PREFIX = 'sites/hb-chem-001/devices';

let gw: TestGateway;
let influx: TestInfluxd;

beforeAll(async () => {
  influx = await startTestInfluxd('gateway_sources');
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, GATEWAY_PROFILES_DIR: resolve('profiles'), GATEWAY_OVERDUE_CRITICAL: 'off', GATEWAY_OVERDUE_MAJOR: 'off' }, registry);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await influx?.stop();
});

async function publishAs(device: string, suffix: string, payloads: string[]) {
  const client = await gw.connect(device);
  try {
    for (const p of payloads) await client.publishAsync(`${PREFIX}/${device}/${suffix}`, p, { qos: 1 });
  } finally {
    await client.endAsync();
  }
}

/** Frigate's times, moved to now so they fall inside the allowed clock skew. */
function now(events: unknown[]): string[] {
  const start = Date.now() / 1000 - 5;
  return events.map((e) => {
    const m = e as { after: { start_time: number }; before: { start_time: number } };
    m.after.start_time = start;
    m.before.start_time = start;
    return JSON.stringify(m);
  });
}

async function detections(camera: string): Promise<Array<[string, number, string | null]>> {
  const q = await influx.query(`SELECT confidence, picture FROM detection WHERE camera = '${camera}'`);
  return (q[0]?.series?.[0]?.values ?? []) as Array<[string, number, string | null]>;
}

describe('a Frigate NVR publishing under its own prefix', () => {
  it('makes one detection for one Frigate event through new, updates and end', async () => {
    const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="vision"');
    const raised: string[] = [];
    const off = gw.gateway.onTransition((a) => a.event.device === 'nvr-01' && a.transition.type === 'raised' && raised.push(a.event.id));
    await publishAs('nvr-01', 'frigate/events', now(JSON.parse(fixture('frigate-sequence.json'))));
    off();
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="vision"')).toBe(before + 1);
    expect(raised).toHaveLength(1);
    const event = (await gw.api(`/api/events/${raised[0]}`)).body;
    expect(event).toMatchObject({ camera: 'tank_top', detectionType: 'intrusion', rule: 'hazchem.intrusion' });
    expect(event.evidence[0]).toMatchObject({ confidence: 0.74, zones: ['bund_area'], bbox: [400, 210, 80, 190] });
    const rows = await eventually(async () => ((await detections('tank_top')).length ? detections('tank_top') : null), 20_000, 'the detection in InfluxDB');
    expect(rows).toHaveLength(1);
  });

  /** The fixture's sequence on another camera, with another Frigate id. */
  const onCamera = (camera: string, id: string) => now(JSON.parse(fixture('frigate-sequence.json').replaceAll('tank_top', camera).replaceAll('1764620100.123456-k3v9qa', id)));

  it('gives the snapshot JPEG published after a detection to that detection, its event and the audit chain', async () => {
    const raised: string[] = [];
    const off = gw.gateway.onTransition((a) => a.event.device === 'nvr-01' && a.transition.type === 'raised' && raised.push(a.event.id));
    const [first, second] = onCamera('gate_east', '1764620200.5-snap01');
    await publishAs('nvr-01', 'frigate/events', [first!, second!]);
    off();
    const jpg = makeJpeg(77, 64, 48);
    const client = await gw.connect('nvr-01');
    await client.publishAsync(`${PREFIX}/nvr-01/frigate/gate_east/person/snapshot`, jpg, { qos: 1 });
    await client.endAsync();
    const sha = createHash('sha256').update(jpg).digest('hex');
    const event = (await gw.api(`/api/events/${raised[0]}`)).body;
    expect(event.evidence[0].picture).toBe(sha);
    const pic = await fetch(`${gw.httpUrl}/api/evidence/${sha}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(Buffer.from(await pic.arrayBuffer()).equals(jpg)).toBe(true);
    const audited = gw.gateway.events.audit.ofEvent(raised[0]!).map((a) => a.detail as { pictures?: string[] } | null);
    expect(audited.some((d) => d?.pictures?.includes(sha))).toBe(true);
    const rows = await eventually(async () => ((await detections('gate_east')).some((r) => r[2] === sha) ? detections('gate_east') : null), 20_000, 'the picture on the detection in InfluxDB');
    expect(rows).toHaveLength(1);
  });

  it('keeps only the first snapshot of a detection and ignores one with no detection before it', async () => {
    await publishAs('nvr-01', 'frigate/events', onCamera('gate_west', '1764620300.5-snap02').slice(0, 2));
    const kept = await counter(gw, 'gateway_profile_ignored_total', 'profile="frigate",why="snapshot_already_kept"');
    const orphan = await counter(gw, 'gateway_profile_ignored_total', 'profile="frigate",why="snapshot_without_detection"');
    const client = await gw.connect('nvr-01');
    await client.publishAsync(`${PREFIX}/nvr-01/frigate/gate_west/person/snapshot`, makeJpeg(78), { qos: 1 });
    await client.publishAsync(`${PREFIX}/nvr-01/frigate/gate_west/person/snapshot`, makeJpeg(79), { qos: 1 });
    await client.publishAsync(`${PREFIX}/nvr-01/frigate/loading_bay/person/snapshot`, makeJpeg(80), { qos: 1 });
    await client.endAsync();
    expect(await counter(gw, 'gateway_profile_ignored_total', 'profile="frigate",why="snapshot_already_kept"')).toBe(kept + 1);
    expect(await counter(gw, 'gateway_profile_ignored_total', 'profile="frigate",why="snapshot_without_detection"')).toBe(orphan + 1);
  });

  it('takes a camera snapshot of 1.5 MiB over MQTT, past the 256 KiB limit of other clients', async () => {
    const raised: string[] = [];
    const off = gw.gateway.onTransition((a) => a.event.device === 'nvr-01' && a.transition.type === 'raised' && raised.push(a.event.id));
    await publishAs('nvr-01', 'frigate/events', onCamera('yard', '1764620450.5-snap04').slice(0, 2));
    off();
    const big = Buffer.concat([makeJpeg(82), Buffer.alloc(1536 * 1024)]);
    const client = await gw.connect('nvr-01');
    await client.publishAsync(`${PREFIX}/nvr-01/frigate/yard/person/snapshot`, big, { qos: 1 });
    await client.endAsync();
    const event = (await gw.api(`/api/events/${raised[0]}`)).body;
    expect(event.evidence[0].picture).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('closes the connection of a snapshot over the camera packet limit (3 MiB) and keeps the detection without it', async () => {
    const raised: string[] = [];
    const off = gw.gateway.onTransition((a) => a.event.device === 'nvr-01' && a.transition.type === 'raised' && raised.push(a.event.id));
    await publishAs('nvr-01', 'frigate/events', onCamera('dock', '1764620400.5-snap03').slice(0, 2));
    off();
    const tooLarge = await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="packet_too_large"');
    const client = await gw.connect('nvr-01');
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.publish(`${PREFIX}/nvr-01/frigate/dock/person/snapshot`, Buffer.concat([makeJpeg(81), Buffer.alloc(3 * 1024 * 1024)]), { qos: 1 });
    await closed;
    client.end(true);
    expect(await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="packet_too_large"')).toBe(tooLarge + 1);
    expect((await gw.api(`/api/events/${raised[0]}`)).body.evidence[0].picture).toBeUndefined();
  });

  it('refuses a snapshot that is not a picture', async () => {
    const before = await counter(gw, 'gateway_messages_rejected_total', 'reason="not_a_picture"');
    const client = await gw.connect('nvr-01');
    await client.publishAsync(`${PREFIX}/nvr-01/frigate/gate_east/person/snapshot`, Buffer.from('<html></html>'), { qos: 1 });
    await client.endAsync();
    expect(await counter(gw, 'gateway_messages_rejected_total', 'reason="not_a_picture"')).toBe(before + 1);
  });

  it('drops an event that stays a false positive', async () => {
    const dropped = await counter(gw, 'gateway_profile_ignored_total', 'profile="frigate",why="dropped"');
    const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="vision"');
    await publishAs('nvr-01', 'frigate/events', now(JSON.parse(fixture('frigate-false-positive.json'))));
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="vision"')).toBe(before);
    expect(await counter(gw, 'gateway_profile_ignored_total', 'profile="frigate",why="dropped"')).toBe(dropped + 2);
  });

  it('marks the NVR offline when Frigate says it is unavailable', async () => {
    const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="status"');
    await publishAs('nvr-01', 'frigate/available', ['offline']);
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="status"')).toBe(before + 1);
  });

  it('accepts and ignores the other Frigate topics without counting them as rejected', async () => {
    const rejected = await counter(gw, 'gateway_messages_rejected_total', 'reason="unknown_topic"');
    await publishAs('nvr-01', 'frigate/stats', ['{"service": {"uptime": 100}}']);
    expect(await counter(gw, 'gateway_messages_rejected_total', 'reason="unknown_topic"')).toBe(rejected);
    expect(await counter(gw, 'gateway_profile_ignored_total', 'profile="frigate",why="ignored_topic"')).toBeGreaterThan(0);
  });

  it('still may not publish under another device', async () => {
    const denied = await counter(gw, 'gateway_mqtt_acl_denied_total', 'action="publish"');
    const client = await gw.connect('nvr-01');
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.publish(`${PREFIX}/cam-01/frigate/events`, '{}', { qos: 1 });
    await closed;
    expect(await counter(gw, 'gateway_mqtt_acl_denied_total', 'action="publish"')).toBe(denied + 1);
  });
});

describe('a DTU with its own tag/value JSON', () => {
  it('turns an MQTT message into readings that the rules see', async () => {
    const raised: string[] = [];
    const off = gw.gateway.onTransition((a) => a.event.device === 'dtu-01' && a.transition.type === 'raised' && raised.push(a.event.rule));
    const local = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    await publishAs('dtu-01', 'dtu/data', [JSON.stringify({ sn: 'DTU-0042', time: local, data: [{ tag: 'GAS_LEL', v: '55' }] })]);
    off();
    expect(raised).toContain('hazchem.combustible-gas');
  });

  it('takes the same message over HTTP at /ingest/v1/dtu', async () => {
    const res = await push(gw.httpUrl, 'dtu', fixture('dtu-tagvalue.json'), { auth: basic('dtu-01') });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, channel: 'telemetry' });
  });

  it('refuses a tag the profile does not map, with the tag in the answer', async () => {
    const res = await push(gw.httpUrl, 'dtu', JSON.stringify({ time: '2026-12-01 20:15:00', data: [{ tag: 'ZZ1', v: '1' }] }), { auth: basic('dtu-01') });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ reason: 'invalid_profile_message', message: expect.stringContaining('"ZZ1"') });
  });
});

describe('a Hikvision box pushing ISAPI alerts over HTTP', () => {
  const hik = basic('hik-01');
  const raisedBy = async (send: () => Promise<{ status: number; body: any }>) => {
    const raised: string[] = [];
    const off = gw.gateway.onTransition((a) => a.event.device === 'hik-01' && a.transition.type === 'raised' && raised.push(a.event.id));
    const res = await send();
    off();
    return { res, raised };
  };

  it('accepts an XML alert and raises an intrusion on its channel', async () => {
    const { res, raised } = await raisedBy(() => push(gw.httpUrl, 'isapi', fixture('isapi-fielddetection.xml'), { auth: hik, contentType: 'application/xml; charset=UTF-8' }));
    expect(res.status).toBe(200);
    expect(raised).toHaveLength(1);
    expect((await gw.api(`/api/events/${raised[0]}`)).body.camera).toBe('ch2');
  });

  it('accepts the JSON form of an alert (two fire posts raise the fire rule, which needs 2 in 20 s)', async () => {
    const first = await push(gw.httpUrl, 'isapi', fixture('isapi-fire.json'), { auth: hik });
    expect(first.status).toBe(200);
    const { res, raised } = await raisedBy(() => push(gw.httpUrl, 'isapi', fixture('isapi-fire.json'), { auth: hik }));
    expect(res.status).toBe(200);
    expect(raised).toHaveLength(1);
  });

  it('accepts multipart with the XML part and a JPEG, and keeps the JPEG as the evidence', async () => {
    const jpg = makeJpeg(41, 64, 48);
    const form = new FormData();
    form.append('linedetection', new Blob([fixture('isapi-duration.xml')], { type: 'application/xml' }), 'linedetection.xml');
    form.append('linedetectionImage', new Blob([jpg], { type: 'image/jpeg' }), 'linedetection.jpg');
    const { res, raised } = await raisedBy(() => push(gw.httpUrl, 'isapi', form, { auth: hik }));
    expect(res.status).toBe(200);
    const event = (await gw.api(`/api/events/${raised[0]}`)).body;
    expect(event.camera).toBe('ch33');
    const pic = await fetch(`${gw.httpUrl}/api/evidence/${event.evidence[0].picture}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(Buffer.from(await pic.arrayBuffer()).equals(jpg)).toBe(true);
  });

  /** The field-detection fixture on another channel, as the n-th post of its alarm. */
  const post = (channel: number, count: number, at: string) =>
    fixture('isapi-fielddetection.xml')
      .replace('<channelID>2</channelID>', `<channelID>${channel}</channelID>`)
      .replace('<activePostCount>1</activePostCount>', `<activePostCount>${count}</activePostCount>`)
      .replace('2026-12-01T20:15:00+08:00', at);
  const xml = { auth: hik, contentType: 'application/xml' };

  it('counts the repeated posts of one ongoing alarm (activePostCount 1, 2, 3) once', async () => {
    const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="vision"');
    const answers = [];
    for (const [n, at] of [[1, '20:30:00'], [2, '20:30:01'], [3, '20:30:02'], [3, '20:30:02']] as const) answers.push((await push(gw.httpUrl, 'isapi', post(5, n, `2026-12-01T${at}+08:00`), xml)).body);
    expect(answers).toEqual([{ ok: true, channel: 'vision' }, { ok: true, ignored: 'already_counted' }, { ok: true, ignored: 'already_counted' }, { ok: true, ignored: 'already_counted' }]);
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="vision"')).toBe(before + 1);
  });

  it('counts a new alarm on the same channel once its post counter starts again at 1', async () => {
    await push(gw.httpUrl, 'isapi', post(6, 1, '2026-12-01T20:31:00+08:00'), xml);
    await push(gw.httpUrl, 'isapi', post(6, 2, '2026-12-01T20:31:01+08:00'), xml);
    const again = await push(gw.httpUrl, 'isapi', post(6, 1, '2026-12-01T20:32:00+08:00'), xml);
    expect(again.body).toEqual({ ok: true, channel: 'vision' });
  });

  it('counts a post whose alarm it has not seen start (its first posts were missed)', async () => {
    const res = await push(gw.httpUrl, 'isapi', post(7, 4, '2026-12-01T20:33:00+08:00'), xml);
    expect(res.body).toEqual({ ok: true, channel: 'vision' });
  });

  it('answers a heartbeat with 200 and makes nothing of it', async () => {
    const { res, raised } = await raisedBy(() => push(gw.httpUrl, 'isapi', fixture('isapi-heartbeat.xml'), { auth: hik, contentType: 'text/xml' }));
    expect(res.body).toEqual({ ok: true, ignored: 'dropped' });
    expect(raised).toEqual([]);
  });

  it('refuses an XXE body', async () => {
    const res = await push(gw.httpUrl, 'isapi', fixture('xxe.xml'), { auth: hik, contentType: 'application/xml' });
    expect(res.status).toBe(422);
    expect(res.body.error.reason).toBe('invalid_xml');
  });

  it('refuses an entity-expansion (billion laughs) body', async () => {
    const res = await push(gw.httpUrl, 'isapi', fixture('billion-laughs.xml'), { auth: hik, contentType: 'application/xml' });
    expect(res.status).toBe(422);
    expect(res.body.error.reason).toBe('invalid_xml');
  });

  it('refuses malformed XML', async () => {
    const res = await push(gw.httpUrl, 'isapi', '<EventNotificationAlert><eventType>fielddetection</EventNotificationAlert>', { auth: hik, contentType: 'application/xml' });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/malformed XML/);
  });

  it('refuses a multipart picture that is not an image', async () => {
    const form = new FormData();
    form.append('alert', new Blob([fixture('isapi-fielddetection.xml')], { type: 'application/xml' }), 'a.xml');
    form.append('image', new Blob(['<html></html>'], { type: 'image/jpeg' }), 'a.jpg');
    const res = await push(gw.httpUrl, 'isapi', form, { auth: hik });
    expect(res.status).toBe(422);
    expect(res.body.error.reason).toBe('not_a_picture');
  });

  it('refuses a multipart picture over the size limit with 413', async () => {
    const form = new FormData();
    form.append('alert', new Blob([fixture('isapi-fielddetection.xml')], { type: 'application/xml' }), 'a.xml');
    form.append('image', new Blob([Buffer.concat([makeJpeg(42), Buffer.alloc(2.5 * 1024 * 1024)])], { type: 'image/jpeg' }), 'a.jpg');
    const res = await push(gw.httpUrl, 'isapi', form, { auth: hik });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('GW_PAYLOAD_TOO_LARGE');
  });

  it('answers 404 at /ingest/v1/isapi for a device whose profile does not serve it', async () => {
    const res = await push(gw.httpUrl, 'isapi', fixture('isapi-fire.json'), { auth: basic('dtu-01') });
    expect(res.status).toBe(404);
  });
});

describe('the payload profiles API (/api/payload-profiles)', () => {
  it('lists the profiles in force', async () => {
    const res = await gw.api('/api/payload-profiles');
    expect(res.body.profiles.sort()).toEqual(['dtu-tagvalue', 'frigate', 'hikvision-isapi']);
  });

  it('reloads them for an admin', async () => {
    const res = await gw.post('/api/payload-profiles/reload', undefined);
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
  });
});
