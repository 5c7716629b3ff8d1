import type { Severity } from '../domain/index.js';
import type { Logger } from '../observability/index.js';
import type { Metrics } from '../observability/index.js';
import type { Registry } from '../registry/index.js';
import type { AppliedTransition, Disposition, EventStore, Maintenance } from '../events/index.js';
import type { SseHub, Webhooks } from '../fanout/index.js';
import type { Principal, UserStore } from '../users/index.js';
import type { SupervisionApi } from './supervision-deps.js';
import type { ScanCodeApi } from './scancode-deps.js';
import type { QualityEvent, QualityEventFilter } from '../quality/index.js';
import type { BacktestService } from '../rules/backtest-service.js';

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

export interface ReadyReport {
  ready: boolean;
  outbox: { points: number; bytes: number; oldestAgeSeconds: number | null; capBytes: number };
  influx: 'ok' | 'failing' | 'off';
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  uptimeSeconds: number;
  history: 'on' | 'off';
  influx: 'ok' | 'unreachable' | 'off';
  connectedDevices: number;
}

/** Lifecycle changes requested by people; the app records, stores and fans them out. */
export interface EventActions {
  acknowledge(id: string, by: Principal, note: string | null): AppliedTransition | null;
  comment(id: string, by: Principal, note: string): AppliedTransition;
  resolve(id: string, by: Principal, note: string): AppliedTransition;
  close(id: string, by: Principal, disposition: Disposition, note: string): AppliedTransition;
  /** Hands the event to another department (issue 16); absent where the gateway has no departments. */
  refer?(id: string, by: Principal, department: string, note: string): AppliedTransition;
}

export interface RulesView {
  list(): Array<{ id: string; version: string; item: string; kind: string; title: string; file?: string } & RuleFacts>;
  reload(): { ok: true; rules: number; changed: number } | { ok: false; problems: Array<{ file: string; ruleId?: string; reason: string }> };
  item(code: string): { code: string; name: string; basis: string; department?: string; sector?: string; name_zh?: string; basis_zh?: string; department_zh?: string } | undefined;
  /** The alarm levels in force for a device (its most specific override), most severe first; undefined for a rule without levels. */
  levels?(ruleId: string, site: string, device: string): RuleLevel[] | undefined;
}

/** What the console needs to know of a rule beyond its id: its Chinese title and what it watches. */
export interface RuleFacts {
  titleZh?: string;
  metrics?: string[];
  sectors?: string[];
}

/** The facts of a loaded rule definition (shape of rules/*.yaml after parsing). */
export function ruleFacts(def: { title_zh?: string; match: { metric?: string[]; sector?: string[] } }): RuleFacts {
  return {
    ...(def.title_zh ? { titleZh: def.title_zh } : {}),
    ...(def.match.metric ? { metrics: def.match.metric } : {}),
    ...(def.match.sector ? { sectors: def.match.sector } : {}),
  };
}

/** One alarm level as a rule file writes it: a severity and the bounds that raise it. */
export interface RuleLevel {
  severity: Severity;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  outside?: [number, number];
}

export type RegistryReload =
  | { ok: true; sites: number; devices: number; added: string[]; removed: string[] }
  | { ok: false; problems: string[] };

/** What the API reads; it changes events only through the events module. */
export interface ApiDeps {
  users: UserStore;
  actions: EventActions;
  maintenance: Maintenance;
  webhooks: Webhooks;
  sse: SseHub;
  rules: RulesView;
  reloadRegistry: () => RegistryReload;
  clock: () => number;
  logger: Logger;
  metrics: Metrics;
  registry: () => Registry;
  events: EventStore;
  devices: () => ReadonlyMap<string, DeviceLiveState>;
  readings: ReadingsSource | null;
  /** Payload profiles in force, and their reload (GET /api/payload-profiles, POST /api/payload-profiles/reload). */
  payloadProfiles?: { ids(): string[]; reload(): { ok: true; profiles: string[] } | { ok: false; problems: Array<{ file: string; reason: string }> } };
  /** Evidence pictures by SHA-256 (GET /api/evidence/:sha256). */
  evidence?: { get(sha256: string): Promise<{ contentType: string; bytes: number; path: string; sites: string[]; sha256: string } | undefined> };
  /** The events of a period for alarm-quality figures (GET /api/alarm-quality). */
  qualityEvents?: (f: QualityEventFilter) => QualityEvent[];
  /** Backtests and approvals of rule changes; absent when history is off. */
  backtests?: BacktestService;
  /** GATEWAY_RULES_APPROVAL=required: POST /api/rules/reload is refused (rules change through an approved backtest). */
  rulesApprovalRequired?: boolean;
  health: () => Promise<HealthReport>;
  ready: () => ReadyReport;
  bodyLimit?: number;
  /** Largest page a list may ask for. */
  maxPage?: number;
  /** Serve HTTPS with this certificate. */
  https?: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean };
  /** Risk, inspections, profiles and the public pages (issue 16). */
  supervision?: SupervisionApi;
  /** Site codes, QR, complaints, check-in and confirmation (issue 17); needs `supervision`. */
  scancode?: ScanCodeApi;
}
