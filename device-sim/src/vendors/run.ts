import mqtt, { type MqttClient } from 'mqtt';
import { createRng } from '../prng.js';
import { dtuMessage, frigateSequence, isapiAlert } from './formats.js';
import { scenePicture } from './picture.js';

export type VendorKind = 'frigate' | 'hikvision' | 'dtu';

export interface VendorDevice {
  site: string;
  device: string;
  secret: string;
  kind: VendorKind;
}

export interface VendorSimOptions {
  mqttUrl: string;
  httpUrl: string;
  devices: VendorDevice[];
  /** Time between vendor events (a Frigate event, an ISAPI alert); DTU readings come every 5 s. */
  intervalMs?: number;
  seed?: number;
  onError?: (err: Error, device: string) => void;
}

export interface VendorStats {
  mqtt: number;
  http: number;
  errors: number;
}

/** The demo's vendor site: a Frigate NVR, a Hikvision camera and a DTU on a tank farm. */
export function vendorDemoSite() {
  return {
    id: 'vendor-chem-01',
    name: '演示：第三方设备接入（储罐区）',
    sector: 'hazardous_chemicals' as const,
    devices: [
      { id: 'nvr-frigate-01', kind: 'camera' as const, secret: 'nvr-frigate-01-secret', profile: 'frigate' },
      { id: 'hik-cam-01', kind: 'camera' as const, secret: 'hik-cam-01-secret', profile: 'hikvision-isapi' },
      { id: 'dtu-01', kind: 'gateway' as const, secret: 'dtu-01-secret', profile: 'dtu-tagvalue' },
    ],
  };
}

export function vendorDevicesOf(site: ReturnType<typeof vendorDemoSite>): VendorDevice[] {
  const kind: Record<string, VendorKind> = { frigate: 'frigate', 'hikvision-isapi': 'hikvision', 'dtu-tagvalue': 'dtu' };
  return site.devices.map((d) => ({ site: site.id, device: d.id, secret: d.secret, kind: kind[d.profile]! }));
}

/**
 * Plays vendor devices against a gateway: a Frigate NVR over MQTT (events under its own
 * prefix, availability), a Hikvision box over HTTP (multipart ISAPI alerts with a generated
 * JPEG) and a DTU publishing tag/value JSON. Bounded: one timer per device until stop().
 */
export async function startVendorSim(o: VendorSimOptions): Promise<{ stop(): Promise<void>; stats(): VendorStats }> {
  const rng = createRng(String(o.seed ?? 1));
  const interval = o.intervalMs ?? 20_000;
  const stats: VendorStats = { mqtt: 0, http: 0, errors: 0 };
  const clients: MqttClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  const fail = (device: string) => (err: Error) => {
    stats.errors++;
    o.onError?.(err, device);
  };

  async function connect(d: VendorDevice, will?: { topic: string; payload: string }): Promise<MqttClient> {
    const c = mqtt.connect(o.mqttUrl, { clientId: d.device, username: d.device, password: d.secret, reconnectPeriod: 2000, ...(will ? { will: { ...will, qos: 1, retain: false } } : {}) });
    clients.push(c);
    c.on('error', fail(d.device));
    await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    return c;
  }
  const every = (ms: number, fn: () => Promise<unknown>) => {
    const t = setInterval(() => void fn().catch(fail('timer')), ms);
    timers.push(t);
    void fn().catch(fail('timer'));
  };

  for (const d of o.devices) {
    const prefix = `sites/${d.site}/devices/${d.device}`;
    if (d.kind === 'frigate') {
      const c = await connect(d, { topic: `${prefix}/frigate/available`, payload: 'offline' });
      await c.publishAsync(`${prefix}/frigate/available`, 'online', { qos: 1 });
      let n = 0;
      every(interval, async () => {
        const start = Date.now() / 1000;
        const x = 40 + Math.floor(rng.next() * 200);
        const seq = frigateSequence({ id: `${start.toFixed(6)}-sim${n++}`, camera: 'tank_top', label: 'person', startS: start, box: [x, 80, x + 50, 200], zones: ['bund_area'] });
        for (const m of seq) {
          await c.publishAsync(`${prefix}/frigate/events`, m, { qos: 1 });
          stats.mqtt++;
        }
        // As Frigate does with cameras.<cam>.mqtt enabled: the object's JPEG on its own topic, no event id.
        await c.publishAsync(`${prefix}/frigate/tank_top/person/snapshot`, scenePicture({ box: [x, 80, 50, 120], seed: n }), { qos: 1 });
        stats.mqtt++;
      });
    } else if (d.kind === 'dtu') {
      const c = await connect(d);
      let tick = 0;
      every(5000, async () => {
        // A slow leak every few minutes: GAS_LEL climbs past the 25 %LEL warning, then falls back.
        const phase = tick++ % 36;
        const lel = phase >= 6 && phase < 14 ? 10 + (phase - 5) * 3 : 8 + rng.next() * 3;
        await c.publishAsync(`${prefix}/dtu/data`, dtuMessage({ sn: `SIM-${d.device}`, at: Date.now(), points: { GAS_LEL: lel, TT101: 24 + rng.next() * 2, PT101: 600 + rng.next() * 40 } }), { qos: 1 });
        stats.mqtt++;
      });
    } else {
      const auth = `Basic ${Buffer.from(`${d.device}:${d.secret}`).toString('base64')}`;
      let seed = 0;
      every(interval, async () => {
        const box: [number, number, number, number] = [60 + Math.floor(rng.next() * 150), 70, 60, 120];
        const form = new FormData();
        form.append('fielddetection', new Blob([isapiAlert({ channel: 1, eventType: 'fielddetection', at: Date.now() })], { type: 'application/xml' }), 'fielddetection.xml');
        form.append('fielddetectionImage', new Blob([scenePicture({ box, seed: seed++ })], { type: 'image/jpeg' }), 'fielddetection.jpg');
        const res = await fetch(`${o.httpUrl}/ingest/v1/isapi`, { method: 'POST', headers: { authorization: auth }, body: form });
        if (!res.ok) throw new Error(`ISAPI push answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
        stats.http++;
      });
    }
  }
  return {
    stats: () => ({ ...stats }),
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    },
  };
}
