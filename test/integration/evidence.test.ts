import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../helpers/events.js';
import { eventually, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { startTestInfluxd, type TestInfluxd } from '../helpers/influxd.js';
import { makeJpeg, NOT_A_PICTURE } from '../helpers/pictures.js';

// Pictures over real MQTT into a real gateway (with a real influxd), back out over real HTTP.
let gw: TestGateway;
let influx: TestInfluxd;

beforeAll(async () => {
  influx = await startTestInfluxd('gateway_evidence');
  gw = await startTestGateway({ INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, GATEWAY_EVIDENCE_MAX_BYTES: '16384', GATEWAY_OVERDUE_MAJOR: 'off' });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await influx?.stop();
});

async function publishVision(payload: unknown) {
  const seen: string[] = [];
  const off = gw.gateway.onTransition((a) => a.event.device === 'cam-01' && a.transition.type === 'raised' && seen.push(a.event.id));
  const client = await gw.connect('cam-01');
  try {
    await client.publishAsync('sites/hb-chem-001/devices/cam-01/vision', JSON.stringify(payload), { qos: 1 });
  } finally {
    off();
    await client.endAsync();
  }
  return seen;
}

const picture = (bytes: Buffer, contentType = 'image/jpeg') => ({ contentType, data: bytes.toString('base64') });
const rejectedCount = async (reason: string) => {
  const text = (await gw.api('/metrics')).body as string;
  const m = new RegExp(`gateway_messages_rejected_total\\{reason="${reason}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
};

describe('a detection with its picture over MQTT', () => {
  const jpg = makeJpeg(21);
  let eventId: string;
  let sha: string;

  beforeAll(async () => {
    eventId = (await publishVision({ camera: 'gate-2', detections: [{ type: 'intrusion', confidence: 0.93, bbox: [10, 12, 20, 18] }], picture: picture(jpg) }))[0]!;
    const d = (await gw.api(`/api/events/${eventId}`)).body;
    sha = d.evidence[0].picture;
  });

  it('puts the SHA-256 of the picture in the event evidence', async () => {
    expect(eventId).toBeDefined();
    expect(sha).toBe(createHash('sha256').update(jpg).digest('hex'));
  });

  it('records the picture hash in the audit chain of the raise', async () => {
    const res = await gw.api(`/api/audit?event=${eventId}`);
    const raised = res.body.records.find((r: { type: string }) => r.type === 'raised');
    expect(raised.detail.pictures).toEqual([sha]);
    expect((await gw.api('/api/audit/verify')).body.ok).toBe(true);
  });

  it('serves the same bytes with the stored content type and no sniffing', async () => {
    const res = await fetch(`${gw.httpUrl}/api/evidence/${sha}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).equals(jpg)).toBe(true);
  });

  it('stores the hash with the detection in InfluxDB', async () => {
    const rows = await eventually(async () => {
      const r = await influx.query(`SELECT picture FROM detection WHERE camera = 'gate-2'`);
      return r[0]?.series?.[0]?.values?.length ? r[0].series[0].values : null;
    }, 20_000, 'the detection in InfluxDB');
    expect(rows[0]![1]).toBe(sha);
  });

  it('answers 404 to a user who may not see the site, as for a picture that does not exist', async () => {
    const token = await createUser(gw, 'mine-viewer', 'viewer', ['mine-007']);
    const res = await gw.api(`/api/evidence/${sha}`, { token });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('GW_NOT_FOUND');
    expect((await gw.api(`/api/evidence/${'0'.repeat(64)}`)).status).toBe(404);
  });

  it('shows the picture to a viewer of the site', async () => {
    const token = await createUser(gw, 'chem-viewer', 'viewer', ['hb-chem-001']);
    expect((await gw.api(`/api/evidence/${sha}`, { token })).status).toBe(200);
  });

  it('refuses a request without a token', async () => {
    expect((await gw.api(`/api/evidence/${sha}`, { token: null })).status).toBe(401);
  });
});

describe('bad pictures over MQTT', () => {
  it('rejects a message whose picture is not an image and raises nothing', async () => {
    const before = await rejectedCount('not_a_picture');
    const raised = await publishVision({ camera: 'gate-3', detections: [{ type: 'intrusion', confidence: 0.95 }], picture: picture(NOT_A_PICTURE) });
    expect(raised).toEqual([]);
    expect(await rejectedCount('not_a_picture')).toBe(before + 1);
  });

  it('rejects a picture over GATEWAY_EVIDENCE_MAX_BYTES', async () => {
    const before = await rejectedCount('picture_too_large');
    const big = Buffer.concat([makeJpeg(22), Buffer.alloc(20_000)]);
    const raised = await publishVision({ camera: 'gate-4', detections: [{ type: 'intrusion', confidence: 0.95 }], picture: picture(big) });
    expect(raised).toEqual([]);
    expect(await rejectedCount('picture_too_large')).toBe(before + 1);
  });

  it('rejects picture data that is not base64', async () => {
    const before = await rejectedCount('invalid_payload');
    await publishVision({ camera: 'gate-5', detections: [{ type: 'intrusion', confidence: 0.95 }], picture: { contentType: 'image/jpeg', data: '***' } });
    expect(await rejectedCount('invalid_payload')).toBe(before + 1);
  });
});

describe('a gateway whose evidence store reaches its cap', () => {
  let small: TestGateway;
  beforeAll(async () => {
    small = await startTestGateway({ GATEWAY_EVIDENCE_MAX_BYTES: '2048', GATEWAY_EVIDENCE_CAP_BYTES: '2100', GATEWAY_OVERDUE_MAJOR: 'off' });
  }, 60_000);
  afterAll(async () => {
    await small?.stop();
  });

  it('raises the evidence_disk_full system event and keeps accepting detections without pictures', async () => {
    const send = async (seed: number) => {
      const client = await small.connect('cam-01');
      await client.publishAsync('sites/hb-chem-001/devices/cam-01/vision', JSON.stringify({ camera: `cap-${seed}`, detections: [{ type: 'intrusion', confidence: 0.9 }], picture: picture(makeJpeg(seed, 16, 16)) }), { qos: 1 });
      await client.endAsync();
    };
    await send(51);
    const raised = await eventually(async () => {
      const r = await small.api('/api/events');
      return r.body.events?.find((e: { rule: string }) => e.rule === 'system.evidence_disk_full');
    }, 10_000, 'the evidence_disk_full event');
    expect(raised.state).toBe('open');
    // Pictures go on until one does not fit; its detection is still accepted (and raises).
    for (const seed of [52, 54, 55, 56]) await send(seed);
    await send(53);
    const dropped = Number(/gateway_evidence_dropped_total\{reason="evidence_disk_full"\} (\d+)/.exec((await small.api('/metrics')).body)?.[1] ?? 0);
    expect(dropped).toBeGreaterThan(0);
    const cam = (await small.api('/api/events?site=hb-chem-001')).body.events.filter((e: { camera: string }) => e.camera === 'cap-53');
    expect(cam).toHaveLength(1);
  });
});
