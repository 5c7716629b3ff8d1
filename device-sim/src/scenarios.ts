import { z } from 'zod';
import { detectionTypeSchema, METRICS, type DetectionType } from '../../gateway/src/protocol/index.js';
import { formatDuration, parseDuration } from './duration.js';
import type { Burst, SensorModel } from './models/index.js';
import type { Rng } from './prng.js';

export const SCENARIO_NAMES = ['normal', 'leak', 'spike', 'flap', 'stuck', 'silent', 'burst', 'skew', 'malformed'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
export const MALFORMED_KINDS = ['bad_json', 'wrong_type', 'nan_string'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

interface Common {
  /** The text the scenario was parsed from, for messages. */
  text: string;
  /** Device ids, site ids or globs ("sim-0001-*"); absent: --scenario-devices, else every device. */
  targets?: string[];
  /** Start, ms after the first reading. */
  at: number;
  /** How long it lasts, ms; absent: to the end of the run. */
  for?: number;
}

export type ScenarioSpec = Common &
  (
    | { name: 'normal' }
    | { name: 'leak'; metric?: string; to?: number; over: number }
    | { name: 'spike'; metric?: string; to?: number; every?: number }
    | { name: 'flap'; metric?: string; level?: number; amp?: number; period: number }
    | { name: 'stuck'; metric?: string; value?: number }
    | { name: 'silent' }
    | { name: 'burst'; type?: DetectionType; conf: number; count: number }
    | { name: 'skew'; by: number }
    | { name: 'malformed'; share: number; kinds: MalformedKind[] }
  );

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

// ---- parameter schemas (values arrive as text from the command line) ----

function numberText(what: string, ok: (n: number) => boolean = () => true) {
  return z.string().transform((v, ctx) => {
    const n = v.trim() === '' ? Number.NaN : Number(v);
    if (!Number.isFinite(n) || !ok(n)) {
      ctx.addIssue({ code: 'custom', message: `must be ${what} (got "${v}")` });
      return z.NEVER;
    }
    return n;
  });
}

function durationText(signed = false, positive = false) {
  return z.string().transform((v, ctx) => {
    const ms = parseDuration(v, signed);
    if (ms === null || (positive && ms <= 0)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a ${positive ? 'positive ' : ''}duration such as 500ms, 30s, 5m or 1h (got "${v}")`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

const metricText = z.string().refine((m) => Object.hasOwn(METRICS, m), {
  message: `must be one of ${Object.keys(METRICS).join(', ')}`,
});

const windowShape = { at: durationText().optional(), for: durationText(false, true).optional() };

const kindsText = z.string().transform((v, ctx) => {
  const kinds = v.split('+').map((k) => k.trim());
  for (const k of kinds) {
    if (!(MALFORMED_KINDS as readonly string[]).includes(k)) {
      ctx.addIssue({ code: 'custom', message: `"${k}" is not one of ${MALFORMED_KINDS.join(', ')} (join several with "+")` });
      return z.NEVER;
    }
  }
  return kinds as MalformedKind[];
});

const paramSchemas = {
  normal: z.object({}).strict(),
  leak: z.object({ ...windowShape, metric: metricText.optional(), to: numberText('a number').optional(), over: durationText(false, true).optional() }).strict(),
  spike: z.object({ ...windowShape, for: durationText().optional(), metric: metricText.optional(), to: numberText('a number').optional(), every: durationText(false, true).optional() }).strict(),
  flap: z.object({ ...windowShape, metric: metricText.optional(), level: numberText('a number').optional(), amp: numberText('a number').optional(), period: durationText(false, true).optional() }).strict(),
  stuck: z.object({ ...windowShape, metric: metricText.optional(), value: numberText('a number').optional() }).strict(),
  silent: z.object(windowShape).strict(),
  burst: z.object({
    ...windowShape,
    type: detectionTypeSchema.optional(),
    conf: numberText('a number from 0 to 1', (n) => n >= 0 && n <= 1).optional(),
    count: numberText('an integer from 1 to 20', (n) => Number.isInteger(n) && n >= 1 && n <= 20).optional(),
  }).strict(),
  skew: z.object({ ...windowShape, by: durationText(true).optional(), ms: numberText('an integer number of milliseconds', Number.isInteger).optional() }).strict(),
  malformed: z.object({ ...windowShape, share: numberText('a fraction from 0 to 1', (n) => n >= 0 && n <= 1).optional(), kinds: kindsText.optional() }).strict(),
} as const;

const TARGET = /^[A-Za-z0-9_.*-]+$/;

/**
 * `[targets=]name[:key=value,...]`, for example `leak:metric=gas_lel,to=60,over=30s` or
 * `sim-0001-tank-01,sim-0002-*=silent:at=10s,for=20s`.
 */
export function parseScenario(text: string): ScenarioSpec {
  const fail = (why: string): never => {
    throw new ScenarioError(`scenario "${text}": ${why}`);
  };
  let rest = text.trim();
  const colon = rest.indexOf(':');
  const head = colon < 0 ? rest : rest.slice(0, colon);
  const eq = head.indexOf('=');
  let targets: string[] | undefined;
  if (eq >= 0) {
    targets = head.slice(0, eq).split(',').map((t) => t.trim());
    for (const t of targets) {
      if (!TARGET.test(t)) fail(`target "${t}" is not a device id, site id or glob`);
    }
    rest = rest.slice(eq + 1);
  }
  const c = rest.indexOf(':');
  const name = (c < 0 ? rest : rest.slice(0, c)).trim();
  const paramText = c < 0 ? '' : rest.slice(c + 1);
  if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
    fail(`"${name}" is not a scenario; use one of ${SCENARIO_NAMES.join(', ')}`);
  }
  const raw: Record<string, string> = {};
  if (paramText.trim() !== '') {
    for (const part of paramText.split(',')) {
      const i = part.indexOf('=');
      if (i <= 0) fail(`"${part}" should be key=value`);
      const key = part.slice(0, i).trim();
      if (Object.hasOwn(raw, key)) fail(`"${key}" is given twice`);
      raw[key] = part.slice(i + 1).trim();
    }
  }
  const schema = paramSchemas[name as ScenarioName];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    fail(
      parsed.error.issues
        .map((i) => (i.code === 'unrecognized_keys' ? `unknown parameter ${i.keys.map((k) => `"${k}"`).join(', ')}` : `${i.path.join('.')}: ${i.message}`))
        .join('; '),
    );
  }
  const p = parsed.data as Record<string, unknown>;
  const common = { text, ...(targets ? { targets } : {}) };
  const at = (p['at'] as number | undefined) ?? 0;
  const forMs = p['for'] as number | undefined;
  const win = forMs === undefined ? { at } : { at, for: forMs };
  switch (name as ScenarioName) {
    case 'normal':
      return { ...common, name: 'normal', at: 0 };
    case 'leak':
      return { ...common, ...win, name: 'leak', ...pick(p, 'metric', 'to'), over: (p['over'] as number | undefined) ?? 60_000 };
    case 'spike':
      return { ...common, at: (p['at'] as number | undefined) ?? 10_000, for: forMs ?? 0, name: 'spike', ...pick(p, 'metric', 'to', 'every') };
    case 'flap':
      return { ...common, ...win, name: 'flap', ...pick(p, 'metric', 'level', 'amp'), period: (p['period'] as number | undefined) ?? 20_000 };
    case 'stuck':
      return { ...common, ...win, name: 'stuck', ...pick(p, 'metric', 'value') };
    case 'silent':
      return { ...common, at: (p['at'] as number | undefined) ?? 10_000, for: forMs ?? 30_000, name: 'silent' };
    case 'burst':
      return {
        ...common,
        at,
        for: forMs ?? 10_000,
        name: 'burst',
        ...pick(p, 'type'),
        conf: (p['conf'] as number | undefined) ?? 0.9,
        count: (p['count'] as number | undefined) ?? 2,
      };
    case 'skew': {
      const by = p['by'] as number | undefined;
      const ms = p['ms'] as number | undefined;
      if ((by === undefined) === (ms === undefined)) fail('give the skew as by=<duration> (e.g. by=-10m) or ms=<milliseconds>');
      return { ...common, ...win, name: 'skew', by: (by ?? ms)! };
    }
    case 'malformed':
      return {
        ...common,
        ...win,
        name: 'malformed',
        share: (p['share'] as number | undefined) ?? 0.1,
        kinds: (p['kinds'] as MalformedKind[] | undefined) ?? [...MALFORMED_KINDS],
      };
  }
}

function pick(p: Record<string, unknown>, ...keys: string[]): Record<string, never> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (p[k] !== undefined) out[k] = p[k];
  return out as Record<string, never>;
}

/** A one-line description, for --help examples and the start-up banner. */
export function describeScenario(s: ScenarioSpec): string {
  const where = s.targets ? ` on ${s.targets.join(',')}` : '';
  const span = s.for !== undefined ? ` for ${formatDuration(s.for)}` : '';
  return `${s.name} at ${formatDuration(s.at)}${span}${where}`;
}

// ---- binding to devices ----

export interface ScenarioDevice {
  site: string;
  device: string;
  camera: boolean;
  model?: SensorModel;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export function matchesTarget(pattern: string, d: { site: string; device: string }): boolean {
  if (!pattern.includes('*')) return pattern === d.device || pattern === d.site;
  const re = globToRegExp(pattern);
  return re.test(d.device) || re.test(d.site);
}

function appliesTo(s: ScenarioSpec, d: ScenarioDevice, defaults: readonly string[] | undefined): boolean {
  const targets = s.targets ?? defaults;
  if (targets && !targets.some((t) => matchesTarget(t, d))) return false;
  switch (s.name) {
    case 'leak':
    case 'spike':
    case 'flap':
    case 'stuck': {
      if (d.camera || !d.model) return false;
      const metric = s.metric ?? d.model.primary;
      return d.model.metrics.some((m) => m.name === metric);
    }
    case 'burst':
      return d.camera;
    default:
      return true;
  }
}

/** Problems that make a scenario list unusable for a fleet: targets or metrics that match nothing. */
export function checkScenarios(specs: readonly ScenarioSpec[], devices: readonly ScenarioDevice[], defaults?: readonly string[]): string[] {
  const problems: string[] = [];
  for (const t of defaults ?? []) {
    if (!devices.some((d) => matchesTarget(t, d))) problems.push(`--scenario-devices: "${t}" matches no device or site of the registry`);
  }
  for (const s of specs) {
    for (const t of s.targets ?? []) {
      if (!devices.some((d) => matchesTarget(t, d))) problems.push(`scenario "${s.text}": target "${t}" matches no device or site of the registry`);
    }
    if (s.name !== 'normal' && !devices.some((d) => appliesTo(s, d, defaults))) {
      const what =
        s.name === 'burst'
          ? 'no targeted device is a camera'
          : 'metric' in s
            ? `no targeted sensor produces ${s.metric ?? 'the metric'}`
            : 'it targets no device';
      problems.push(`scenario "${s.text}": ${what}`);
    }
  }
  return problems;
}

export interface DeviceScenarios {
  /** True while the device is off the air. */
  silent(at: number): boolean;
  /** Applies value scenarios in order; `values` is changed in place. */
  telemetry(at: number, values: Record<string, number>): void;
  burst(at: number): Burst | undefined;
  /** Clock skew added to the payload ts, ms. */
  skew(at: number): number;
  /** Whether this message is to be malformed, and how. Draws from the device's own stream. */
  malformed(at: number): MalformedKind | undefined;
}

function active(s: ScenarioSpec, at: number): boolean {
  return at >= s.at && (s.for === undefined || at < s.at + s.for);
}

export function bindScenarios(
  specs: readonly ScenarioSpec[],
  device: ScenarioDevice,
  defaults: readonly string[] | undefined,
  rng: Rng,
  defaultBurstType: DetectionType,
): DeviceScenarios {
  const mine = specs.filter((s) => appliesTo(s, device, defaults));
  // Per-scenario memory: the value at onset (leak, stuck), the last spike cycle fired.
  const onset = new Map<ScenarioSpec, Record<string, number>>();
  const lastCycle = new Map<ScenarioSpec, number>();
  const specOf = (name: string) => device.model?.metrics.find((m) => m.name === name);

  const spikeActive = (s: Extract<ScenarioSpec, { name: 'spike' }>, at: number): boolean => {
    if (at < s.at) return false;
    const cycle = s.every ? Math.floor((at - s.at) / s.every) : 0;
    const start = s.at + cycle * (s.every ?? 0);
    if ((s.for ?? 0) > 0) return at < start + s.for!;
    // for=0: exactly one reading per cycle, the first at or after its start.
    if (lastCycle.get(s) === cycle) return false;
    lastCycle.set(s, cycle);
    return true;
  };

  return {
    silent: (at) => mine.some((s) => s.name === 'silent' && active(s, at)),
    telemetry(at, values) {
      for (const s of mine) {
        if (s.name === 'spike') {
          const metric = s.metric ?? device.model!.primary;
          if (spikeActive(s, at)) values[metric] = s.to ?? specOf(metric)!.excursion;
          continue;
        }
        if (s.name !== 'leak' && s.name !== 'flap' && s.name !== 'stuck') continue;
        if (!active(s, at)) continue;
        const metric = s.metric ?? device.model!.primary;
        const spec = specOf(metric)!;
        const current = values[metric]!;
        if (!onset.has(s)) onset.set(s, { ...values });
        const start = onset.get(s)!;
        if (s.name === 'leak') {
          const from = start[metric]!;
          const to = s.to ?? spec.excursion;
          const p = Math.min(1, (at - s.at) / s.over);
          const jitter = Math.abs(rng.normal()) * spec.noise;
          // Once the ramp is complete the value holds at or just beyond the target.
          values[metric] = p >= 1 ? to + Math.sign(to - from) * jitter : from + (to - from) * p + rng.normal() * spec.noise * (1 - p);
        } else if (s.name === 'flap') {
          const level = s.level ?? spec.alarm;
          const amp = s.amp ?? Math.max(Math.abs(level) * 0.1, spec.noise * 3);
          values[metric] = level + amp * Math.sin((2 * Math.PI * (at - s.at)) / s.period);
        } else if (s.metric === undefined && s.value === undefined) {
          // stuck with no metric: the whole instrument froze.
          for (const k of Object.keys(values)) values[k] = start[k] ?? values[k]!;
        } else {
          values[metric] = s.value ?? start[metric] ?? current;
        }
      }
    },
    burst(at) {
      for (const s of mine) {
        if (s.name === 'burst' && active(s, at)) return { type: s.type ?? defaultBurstType, confidence: s.conf, count: s.count };
      }
      return undefined;
    },
    skew: (at) => mine.reduce((sum, s) => (s.name === 'skew' && active(s, at) ? sum + s.by : sum), 0),
    malformed(at) {
      for (const s of mine) {
        if (s.name === 'malformed' && active(s, at)) {
          const u = rng.next();
          const k = rng.pick(s.kinds);
          return u < s.share ? k : undefined;
        }
      }
      return undefined;
    },
  };
}

// ---- malformed payloads ----

const NAN_TEXTS = ['NaN', 'Infinity', '-Infinity', 'nan', 'N/A', '--', 'null'] as const;

/**
 * Breaks a payload the way field devices do: invalid JSON, a value of the wrong type, or a
 * number sent as a NaN-like string. The result never passes the gateway's payload schemas.
 */
export function malform(kind: MalformedKind, channel: 'telemetry' | 'vision', payload: Record<string, unknown>, rng: Rng): string {
  const copy = structuredClone(payload) as Record<string, unknown>;
  if (kind === 'bad_json') {
    const text = JSON.stringify(copy);
    switch (rng.int(3)) {
      case 0:
        // Truncated in transit: any proper prefix of a JSON object is invalid.
        return text.slice(0, text.length - 1 - rng.int(Math.min(6, text.length - 2)));
      case 1:
        return text.replace('"ts":', 'ts:');
      default:
        return `${text.slice(0, -1)},}`;
    }
  }
  if (channel === 'telemetry') {
    const metrics = copy['metrics'] as Record<string, unknown>;
    const names = Object.keys(metrics);
    const name = rng.pick(names);
    if (kind === 'wrong_type') {
      if (rng.next() < 0.7) metrics[name] = String(metrics[name]);
      else copy['metrics'] = names.map((n) => metrics[n]);
    } else {
      metrics[name] = rng.pick(NAN_TEXTS);
    }
    return JSON.stringify(copy);
  }
  const detections = copy['detections'] as Record<string, unknown>[];
  if (kind === 'wrong_type') {
    if (detections.length > 0) detections[0]!['confidence'] = String(detections[0]!['confidence']);
    else copy['camera'] = 42;
  } else {
    if (detections.length === 0) detections.push({ type: 'smoke', confidence: 0 });
    detections[0]!['confidence'] = rng.pick(NAN_TEXTS);
  }
  return JSON.stringify(copy);
}
