import type { Logger } from '../observability/index.js';
import type { Metrics } from '../observability/index.js';
import type { Registry } from '../registry/index.js';
import type { EventStore } from '../events/index.js';

export interface DeviceLiveState {
  online: boolean;
  lastSeen: number | null;
  latest: Record<string, { value: number; ts: number }>;
}

export interface ReadingPoint {
  time: number;
  value: number | null;
}

export interface ReadingsQuery {
  site: string;
  device?: string;
  metric: string;
  since: number;
  until: number;
  limit: number;
}

export interface ReadingsSource {
  readings(q: ReadingsQuery): Promise<Array<{ device: string; points: ReadingPoint[] }>>;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  uptimeSeconds: number;
  history: 'on' | 'off';
  influx: 'ok' | 'unreachable' | 'off';
  connectedDevices: number;
}

/** What the API reads; it changes events only through the events module. */
export interface ApiDeps {
  token: string;
  logger: Logger;
  metrics: Metrics;
  registry: () => Registry;
  events: EventStore;
  devices: () => ReadonlyMap<string, DeviceLiveState>;
  readings: ReadingsSource | null;
  health: () => Promise<HealthReport>;
  bodyLimit?: number;
}
