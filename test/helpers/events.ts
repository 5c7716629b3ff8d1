// Driving supervision events through a real gateway: devices publish over MQTT, people act
// through the HTTP API. Shared by the event, audit, fan-out, webhook and role tests.
import type { AppliedTransition } from '../../gateway/src/events/index.js';
import type { TestGateway } from './gateway.js';

export const SITE_OF: Record<string, string> = {
  'gas-01': 'hb-chem-001',
  'gas-02': 'hb-chem-001',
  'cam-01': 'hb-chem-001',
  'ch4-01': 'mine-007',
};

/**
 * Publishes telemetry (QoS 1) from a device and returns the transitions it caused. The broker
 * sends PUBACK only after the gateway has run the rules on the message, so they are all in.
 */
export async function publishTelemetry(gw: TestGateway, device: string, metrics: Record<string, number>, ts?: number): Promise<AppliedTransition[]> {
  return publishOn(gw, device, 'telemetry', { ...(ts !== undefined ? { ts } : {}), metrics });
}

/** Publishes a camera detection message from cam-01. */
export async function publishDetections(gw: TestGateway, detections: Array<{ type: string; confidence: number; bbox?: [number, number, number, number] }>, snapshot?: string): Promise<AppliedTransition[]> {
  return publishOn(gw, 'cam-01', 'vision', { camera: 'cam-01', detections, ...(snapshot ? { snapshot } : {}) });
}

async function publishOn(gw: TestGateway, device: string, channel: string, payload: unknown): Promise<AppliedTransition[]> {
  const site = SITE_OF[device];
  if (!site) throw new Error(`unknown test device ${device}`);
  const seen: AppliedTransition[] = [];
  const off = gw.gateway.onTransition((a) => {
    if (a.event.device === device) seen.push(a);
  });
  const client = await gw.connect(device);
  try {
    await client.publishAsync(`sites/${site}/devices/${device}/${channel}`, JSON.stringify(payload), { qos: 1 });
  } finally {
    off();
    await client.endAsync();
  }
  return seen;
}

/** Publishes a reading that must raise a new event and returns that event's id. */
export async function raise(gw: TestGateway, device: string, metrics: Record<string, number>): Promise<string> {
  const got = await publishTelemetry(gw, device, metrics);
  const raised = got.find((a) => a.transition.type === 'raised');
  if (!raised) throw new Error(`${device} ${JSON.stringify(metrics)} raised no event (got: ${got.map((a) => a.transition.type).join(', ') || 'nothing'})`);
  return raised.event.id;
}

/** Creates an API user as admin and returns its token. */
export async function createUser(gw: TestGateway, name: string, role: string, sites?: string[]): Promise<string> {
  const res = await gw.post('/api/users', { name, role, ...(sites ? { sites } : {}) });
  if (res.status !== 201) throw new Error(`creating user ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** Resolves (as the admin, a supervisor or above) and closes an event. */
export async function resolveAndClose(gw: TestGateway, id: string, disposition = 'false_alarm'): Promise<void> {
  const r = await gw.post(`/api/events/${id}/resolve`, { note: 'checked on site' });
  if (r.status !== 200) throw new Error(`resolve ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  const c = await gw.post(`/api/events/${id}/close`, { disposition, note: 'closed by the test' });
  if (c.status !== 200) throw new Error(`close ${id}: ${c.status} ${JSON.stringify(c.body)}`);
}
