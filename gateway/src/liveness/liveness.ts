import type { DeviceLiveState } from '../api/index.js';
import type { DeviceRef } from '../domain/index.js';
import type { Logger } from '../observability/index.js';

/** Where liveness writes `device_status` points (the history's outbox). */
export interface StatusWriter {
  writeStatus(device: DeviceRef, online: boolean, rejected: number, at: number): Promise<void>;
}

interface LiveEntry extends DeviceLiveState {
  /** Messages rejected since the last status point: each status point carries and resets it. */
  rejected: number;
}

/** A device heard within this long gets a status point each minute. */
const RECENT_MS = 120_000;

export type Liveness = ReturnType<typeof createLiveness>;

/**
 * What the gateway knows of each device right now (online, last seen, latest values), and
 * the `device_status` points that record it. Keyed by device id, bounded by the registry.
 */
export function createLiveness(status: StatusWriter, logger: Logger) {
  const live = new Map<string, LiveEntry>();
  const logFailure = (err: unknown) => logger.error({ err }, 'outbox write failed');

  function entry(device: string): LiveEntry {
    let s = live.get(device);
    if (!s) live.set(device, (s = { online: false, lastSeen: null, latest: {}, rejected: 0 }));
    return s;
  }

  /** Writes a status point carrying (and resetting) the rejected count. */
  function point(device: DeviceRef, s: LiveEntry, at: number): Promise<void> {
    const p = status.writeStatus(device, s.online, s.rejected, at);
    s.rejected = 0;
    return p;
  }

  return {
    devices: (): ReadonlyMap<string, DeviceLiveState> => live,
    rejected(device: string): void {
      entry(device).rejected++;
    },
    /** A telemetry or vision message: the device is alive; telemetry also updates its latest values. */
    heard(device: string, at: number, readings?: readonly { metric: string; value: number; ts: number }[]): void {
      const s = entry(device);
      s.lastSeen = at;
      s.online = true;
      if (readings) for (const r of readings) s.latest[r.metric] = { value: r.value, ts: r.ts };
    },
    /** A status message: resolves when its status point is durable. */
    status(device: DeviceRef, online: boolean, at: number): Promise<void> {
      const s = entry(device.device);
      s.lastSeen = at;
      s.online = online;
      return point(device, s, at);
    },
    /** A connection opened or closed (MQTT today, TCP for HJ 212). */
    connection(device: DeviceRef, online: boolean, at: number): void {
      const s = entry(device.device);
      s.online = online;
      if (online) s.lastSeen = at;
      point(device, s, at).catch(logFailure);
      logger.info({ site: device.site, device: device.device }, online ? 'device connected' : 'device disconnected');
    },
    /** One status point per device heard from recently, for "last seen" dashboards. */
    statusPoints(at: number, lookup: (device: string) => DeviceRef | undefined): void {
      for (const [id, s] of live) {
        const d = lookup(id);
        if (d && s.lastSeen !== null && at - s.lastSeen < RECENT_MS) point(d, s, at).catch(logFailure);
      }
    },
  };
}
