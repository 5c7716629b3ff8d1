import { z } from 'zod';
import { detectionTypeSchema, deviceKindSchema, sectorSchema, severitySchema } from '../domain/index.js';
import type { CompiledRules } from './compile.js';
import { createEngineState, deviceState, eachDevice, pruneState, type Aux, type DetectionKeyState, type DeviceState, type DetectionPhase, type EngineState, type OfflineKeyState, type OfflinePhase, type OpenEvent, type RuleKeyState, type RulePhase } from './state.js';

// The engine state as plain JSON, so a restart carries on where it stopped: a `for: 10m`
// that had run 7 minutes raises 3 minutes after restore. Idle entries are left out.
// `format` is the snapshot's version: 2 names each rule key's phase; 1 (before the phases
// had names) is still read, its phases derived from the fields that implied them. Offline
// and detection keys got named phases later in format 2: where absent, they are derived the
// same way (their old fields determine them), so no format change was needed.

const num = z.number().nullable();
const openSchema = z.object({ severity: severitySchema, rank: z.number().int(), raisedAt: z.number() }).nullable();
const auxSchema = z.union([
  // c, mn, mx: bucket counts and extremes (absent in snapshots of one reading per entry).
  z.object({ ts: z.array(z.number()), v: z.array(z.number()), c: z.array(z.number()).optional(), mn: z.array(z.number()).optional(), mx: z.array(z.number()).optional() }).strict(),
  z.object({ start: num, min: z.number(), max: z.number() }).strict(),
]);

const phaseSchema = z.enum(['idle', 'pending', 'firing', 'clearing']);
const offlinePhaseSchema = z.enum(['idle', 'firing', 'released']);
const detectionPhaseSchema = z.enum(['idle', 'firing']);

const snapshotSchema = z
  .object({
    format: z.union([z.literal(1), z.literal(2)]),
    devices: z.array(
      z.object({
        site: z.string(),
        device: z.string(),
        sector: sectorSchema,
        kind: deviceKindSchema,
        lastSeen: num,
        series: z.array(z.tuple([z.string(), num, num, num])),
        rules: z.array(
          z.object({
            rule: z.string(),
            version: z.string(),
            /** Absent in format 1. */
            phase: phaseSchema.optional(),
            open: openSchema,
            runStart: num,
            clearStart: num,
            aux: z.array(z.tuple([z.string(), auxSchema])),
          }),
        ),
        /** `released` is the phase's older spelling, still written for readers before the phase. */
        offline: z.array(z.object({ rule: z.string(), version: z.string(), phase: offlinePhaseSchema.optional(), open: openSchema, released: z.boolean() })),
      }),
    ),
    detections: z.array(
      z.object({
        key: z.string(),
        /** Absent before detection keys had named phases. */
        phase: detectionPhaseSchema.optional(),
        rule: z.string(),
        version: z.string(),
        site: z.string(),
        device: z.string(),
        sector: sectorSchema,
        kind: deviceKindSchema,
        camera: z.string(),
        type: detectionTypeSchema,
        times: z.array(z.number()),
        evidence: z.array(
          z.object({
            ts: z.number(),
            confidence: z.number(),
            bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
            snapshot: z.string().optional(),
            picture: z.string().optional(),
            zones: z.array(z.string()).optional(),
          }),
        ),
        lastTs: num,
        open: openSchema,
        lastRaisedAt: num,
        lastDetectionAt: num,
      }),
    ),
  })
  .strict();

type Snapshot = z.infer<typeof snapshotSchema>;

const out = (n: number): number | null => (Number.isFinite(n) ? n : null);
const inNaN = (n: number | null): number => (n === null ? NaN : n);
const copyOpen = (o: OpenEvent | null): OpenEvent | null => (o ? { ...o } : null);

function ruleIdle(st: RuleKeyState): boolean {
  return st.phase === 'idle' && (st.aux === null || st.aux.size === 0);
}

/** Format 1 had no phase: it was implied by which of open, runStart and clearStart were set. */
function phaseOfV1(r: { open: unknown; runStart: number | null; clearStart: number | null }): RulePhase {
  if (r.open !== null) return r.clearStart !== null ? 'clearing' : 'firing';
  return r.runStart !== null ? 'pending' : 'idle';
}

function offlinePhaseOf(o: { rule: string; phase?: OfflinePhase | undefined; open: unknown; released: boolean }): OfflinePhase {
  const implied: OfflinePhase = o.open !== null ? 'firing' : o.released ? 'released' : 'idle';
  if (o.phase !== undefined && o.phase !== implied) throw new StateSnapshotError(`offline rule ${o.rule} is ${o.phase} but its fields say ${implied}`);
  return implied;
}

function detectionPhaseOf(s: { phase?: DetectionPhase | undefined; open: unknown; key: string }): DetectionPhase {
  const implied: DetectionPhase = s.open !== null ? 'firing' : 'idle';
  if (s.phase !== undefined && s.phase !== implied) throw new StateSnapshotError(`detection key ${s.key} is ${s.phase} ${s.open ? 'with' : 'without'} an open event`);
  return implied;
}

function restoreWindow(a: { ts: number[]; v: number[]; c?: number[]; mn?: number[]; mx?: number[] }): Aux {
  const c = a.c ?? a.v.map(() => 1);
  return { ts: a.ts, v: a.v, c, mn: a.mn ?? [...a.v], mx: a.mx ?? [...a.v], head: 0, sum: a.v.reduce((s, x) => s + x, 0), count: c.reduce((s, x) => s + x, 0) };
}

function auxOut(a: Aux): z.infer<typeof auxSchema> {
  if ('ts' in a) return { ts: a.ts.slice(a.head), v: a.v.slice(a.head), c: a.c.slice(a.head), mn: a.mn.slice(a.head), mx: a.mx.slice(a.head) };
  return { start: out(a.start), min: a.min, max: a.max };
}

// A device that has only been expected or seen (every registered device of an idle gateway)
// has nothing but its place and lastSeen: its entry shares these empty lists, so a save of
// 10,000 registered devices does not build 60,000 short-lived arrays.
const NONE: never[] = Object.freeze([]) as unknown as never[];

type DeviceOut = Snapshot['devices'][number];

function deviceOut(d: DeviceState): DeviceOut {
  return {
    site: d.site,
    device: d.device,
    sector: d.sector,
    kind: d.kind,
    lastSeen: out(d.lastSeen),
    series: d.series.size === 0 ? NONE : [...d.series].map(([metric, s]) => [metric, out(s.lastTs), out(s.prevTs), out(s.prevValue)]),
    rules:
      d.rules.size === 0
        ? NONE
        : [...d.rules.values()]
            .filter((st) => !ruleIdle(st))
            .map((st) => ({
              rule: st.rule,
              version: st.version,
              phase: st.phase,
              open: copyOpen(st.open),
              runStart: out(st.runStart),
              clearStart: out(st.clearStart),
              aux: [...(st.aux ?? [])].map(([metric, a]) => [metric, auxOut(a)] as [string, z.infer<typeof auxSchema>]),
            })),
    offline: d.offline.size === 0 ? NONE : [...d.offline.values()].filter((o) => o.phase !== 'idle').map((o) => ({ ...o, open: copyOpen(o.open), released: o.phase === 'released' })),
  };
}

function detectionsOut(state: EngineState): Snapshot['detections'] {
  return [...state.detections.values()].map((st) => ({
    ...st,
    times: st.times.slice(),
    evidence: st.evidence.map((e) => ({ ...e })),
    lastTs: out(st.lastTs),
    open: copyOpen(st.open),
    lastRaisedAt: out(st.lastRaisedAt),
    lastDetectionAt: out(st.lastDetectionAt),
  }));
}

export function serializeState(state: EngineState): string {
  const devices: DeviceOut[] = [];
  eachDevice(state, (d) => void devices.push(deviceOut(d)));
  const snap: Snapshot = { format: 2, devices, detections: detectionsOut(state) };
  return JSON.stringify(snap);
}

/**
 * The same JSON as `serializeState`, as UTF-8 bytes written one device at a time: no tree of
 * every device nor one long string is built, so what a save allocates dies young. With 10,000
 * registered devices the tree and the string survived into the old generation and grew the
 * young one (+3 MiB of RSS after the first save of an idle gateway).
 */
export function serializeStateUtf8(state: EngineState): Buffer {
  const out = new Utf8Writer((state.devices.size + state.shadowed.size) * 160 + 1024);
  out.write('{"format":2,"devices":[');
  let first = true;
  eachDevice(state, (d) => {
    out.write(first ? JSON.stringify(deviceOut(d)) : `,${JSON.stringify(deviceOut(d))}`);
    first = false;
  });
  out.write(`],"detections":${JSON.stringify(detectionsOut(state))}}`);
  return out.bytes();
}

/** A growing UTF-8 buffer (doubling; a UTF-16 unit is at most 3 bytes). */
class Utf8Writer {
  private buf: Buffer;
  private len = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  write(s: string): void {
    const need = this.len + s.length * 3;
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.len += this.buf.write(s, this.len);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

export class StateSnapshotError extends Error {
  constructor(reason: string) {
    super(`engine state snapshot is invalid: ${reason}`);
    this.name = 'StateSnapshotError';
  }
}

/** Rebuilds the state from `serializeState` output, keeping only rules present (same id and version) in `rules`. */
export function restoreState(json: string, rules: CompiledRules): EngineState {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new StateSnapshotError(`not JSON: ${(err as Error).message}`);
  }
  const parsed = snapshotSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new StateSnapshotError(`${i.path.join('.')}: ${i.message}`);
  }
  const state = createEngineState();
  for (const d of parsed.data.devices) {
    for (const r of d.rules) {
      const phase = r.phase ?? phaseOfV1(r);
      if ((phase === 'firing' || phase === 'clearing') !== (r.open !== null)) throw new StateSnapshotError(`rule ${r.rule} of ${d.device} is ${phase} ${r.open ? 'with' : 'without'} an open event`);
    }
    Object.assign(deviceState(state, d), {
      lastSeen: inNaN(d.lastSeen),
      series: new Map(
        d.series.map(([metric, lastTs, prevTs, prevValue]) => [metric, { lastTs: lastTs ?? -Infinity, prevTs: inNaN(prevTs), prevValue: inNaN(prevValue), rules: null, shared: null, states: [] }]),
      ),
      rules: new Map(
        d.rules.map((r) => [
          r.rule,
          {
            rule: r.rule,
            version: r.version,
            phase: r.phase ?? phaseOfV1(r),
            open: r.open,
            runStart: inNaN(r.runStart),
            clearStart: inNaN(r.clearStart),
            aux: r.aux.length === 0 ? null : new Map(
              r.aux.map(([metric, a]): [string, Aux] =>
                'ts' in a ? [metric, restoreWindow(a)] : [metric, { start: inNaN(a.start), min: a.min, max: a.max }],
              ),
            ),
          },
        ]),
      ),
      offline: new Map(d.offline.map((o): [string, OfflineKeyState] => [o.rule, { rule: o.rule, version: o.version, phase: offlinePhaseOf(o), open: o.open }])),
    });
  }
  for (const s of parsed.data.detections) {
    const st: DetectionKeyState = {
      ...s,
      phase: detectionPhaseOf(s),
      evidence: s.evidence.map((e) => {
        const { bbox, snapshot, picture, zones, ...rest } = e;
        return { ...rest, ...(bbox ? { bbox } : {}), ...(snapshot !== undefined ? { snapshot } : {}), ...(picture !== undefined ? { picture } : {}), ...(zones ? { zones } : {}) };
      }),
      lastTs: s.lastTs ?? -Infinity,
      lastRaisedAt: inNaN(s.lastRaisedAt),
      lastDetectionAt: inNaN(s.lastDetectionAt),
    };
    state.detections.set(st.key, st);
    if (st.open !== null) state.openDetections.set(st.key, st);
  }
  return pruneState(state, rules);
}
