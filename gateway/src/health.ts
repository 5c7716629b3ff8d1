import type { HealthReport, ReadyReport } from './api/index.js';
import type { Backlog } from './storage/index.js';

export interface HealthSources {
  history: { enabled: boolean; backlog(): Backlog; forwarding(): { healthy: boolean }; ping(): Promise<boolean> };
  connectedDevices(): number;
  /** True while the gateway stops or the outbox is at its cap: new data should go elsewhere. */
  refusing(): boolean;
  outboxCapBytes: number;
  clock: () => number;
}

/** The readiness and health reports of GET /ready and GET /health. */
export function createHealth(s: HealthSources) {
  const startedAt = s.clock();
  const ageSeconds = (at: number | null) => (at === null ? null : Math.max(0, (s.clock() - at) / 1000));
  return {
    ready(): ReadyReport {
      const b = s.history.backlog();
      return {
        ready: !s.refusing(),
        outbox: { points: b.points, bytes: b.bytes, oldestAgeSeconds: ageSeconds(b.oldestAt), capBytes: s.outboxCapBytes },
        influx: s.history.enabled ? (s.history.forwarding().healthy ? 'ok' : 'failing') : 'off',
      };
    },
    async health(): Promise<HealthReport> {
      const influx = s.history.enabled ? ((await s.history.ping()) ? 'ok' : 'unreachable') : 'off';
      return {
        status: influx === 'unreachable' ? 'degraded' : 'ok',
        uptimeSeconds: Math.round((s.clock() - startedAt) / 1000),
        history: s.history.enabled ? 'on' : 'off',
        influx,
        connectedDevices: s.connectedDevices(),
      };
    },
  };
}
