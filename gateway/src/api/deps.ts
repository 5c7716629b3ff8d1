// Types several route groups share. Each route file declares the dependencies it reads
// (`XRouteDeps`); build.ts composes them into ApiDeps.
import type { Severity } from '../domain/index.js';
import type { AppliedTransition, Disposition } from '../events/index.js';
import type { ReadingsQueryInput } from '../storage/influx/index.js';
import type { Principal } from '../users/index.js';

export interface DeviceLiveState {
  online: boolean;
  lastSeen: number | null;
  latest: Record<string, { value: number; ts: number }>;
}

export interface ReadingPoint {
  time: number;
  value: number | null;
}

/** What a readings request asks of history: the storage's own query input, not a copy of it. */
export type ReadingsQuery = ReadingsQueryInput;

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

/** Evidence pictures by SHA-256 (the evidence and inspection routes). */
export interface EvidenceLookup {
  get(sha256: string): Promise<{ contentType: string; bytes: number; path: string; sites: string[]; sha256: string } | undefined>;
}
