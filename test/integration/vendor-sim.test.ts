import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVendorSim, vendorDemoSite, vendorDevicesOf } from '../../device-sim/src/index.js';
import type { AppliedTransition } from '../../gateway/src/events/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { counter } from '../helpers/security.js';

// The simulator playing a Frigate NVR (MQTT), a Hikvision camera (HTTP, generated JPEGs) and a
// DTU (vendor JSON) against a real gateway with the shipped profiles.
let gw: TestGateway;
let sim: Awaited<ReturnType<typeof startVendorSim>>;
const raised: AppliedTransition[] = [];

beforeAll(async () => {
  const site = vendorDemoSite();
  gw = await startTestGateway({ GATEWAY_PROFILES_DIR: resolve('profiles'), GATEWAY_OVERDUE_MAJOR: 'off' }, { sites: [site] });
  gw.gateway.onTransition((a) => a.transition.type === 'raised' && raised.push(a));
  // A long interval: each device plays its first round at once, then waits.
  sim = await startVendorSim({ mqttUrl: gw.mqttUrl, httpUrl: gw.httpUrl, devices: vendorDevicesOf(site), intervalMs: 600_000, seed: 7 });
}, 60_000);

afterAll(async () => {
  await sim?.stop();
  await gw?.stop();
});

describe('the vendor simulator', () => {
  it('plays a Frigate event that raises one intrusion on the Frigate camera', async () => {
    const e = await eventually(() => raised.find((a) => a.event.device === 'nvr-frigate-01'), 15_000, 'a raise from the NVR');
    expect(e.event).toMatchObject({ camera: 'tank_top', detectionType: 'intrusion' });
  });

  it('publishes the Frigate snapshot JPEG that becomes that event\'s picture', async () => {
    const e = await eventually(() => raised.find((a) => a.event.device === 'nvr-frigate-01'), 15_000, 'a raise from the NVR');
    const picture = await eventually(async () => (await gw.api(`/api/events/${e.event.id}`)).body.evidence[0]?.picture, 15_000, 'the snapshot on the event');
    expect((await gw.api(`/api/evidence/${picture}`)).status).toBe(200);
  });

  it('pushes an ISAPI alert with a generated JPEG that becomes the event picture', async () => {
    const e = await eventually(() => raised.find((a) => a.event.device === 'hik-cam-01'), 15_000, 'a raise from the Hikvision camera');
    const detail = (await gw.api(`/api/events/${e.event.id}`)).body;
    const pic = await gw.api(`/api/evidence/${detail.evidence[0].picture}`);
    expect(pic.status).toBe(200);
  });

  it('sends DTU tag/value readings that are accepted as telemetry', async () => {
    await eventually(async () => (await counter(gw, 'gateway_readings_total')) >= 3, 15_000, 'DTU readings');
    expect(await counter(gw, 'gateway_messages_rejected_total', 'reason="invalid_profile_message"')).toBe(0);
  });

  it('reports no errors', () => {
    expect(sim.stats().errors).toBe(0);
  });
});
