import { METRIC_PATTERN } from '../domain/index.js';
import { firstPresent, getPath, toNumber } from './paths.js';
import type { Condition, ProfileRoute } from './schema.js';
import { parseTime } from './time.js';

/** An alarm's post counter (ISAPI activePostCount) under its type and camera. */
export type Repeat = { key: string; count: number };
/** Whether a post continues an alarm already counted (see the profile's `repeats`). */
export type Continues = (r: Repeat) => boolean;

/** A vendor document mapped to one of the gateway's own payloads, or why not. */
export type Translation =
  | { kind: 'payload'; channel: ProfileRoute['channel']; payload: Record<string, unknown>; onceKey?: string; picture?: Buffer; label?: string; repeat?: Repeat }
  | { kind: 'ignored'; why: string }
  | { kind: 'error'; detail: string };

function holds(doc: unknown, c: Condition): boolean {
  const v = getPath(doc, c.path);
  if (c.equals !== undefined) return v === c.equals || (typeof v !== 'object' && String(v) === String(c.equals));
  return c.in!.some((x) => v === x || (typeof v !== 'object' && String(v) === String(x)));
}

/** value * scale + offset, without binary noise such as 1.2500000000000002. */
function convert(n: number, m: { scale: number; offset: number }): number {
  return Number((n * m.scale + m.offset).toPrecision(12));
}

/**
 * Pure: reads the route's fields out of `doc` (parsed JSON or XML, or a text body) and builds
 * the canonical payload, which the caller decodes as if it had come on the device's own topic.
 */
export function translate(route: ProfileRoute, doc: unknown, seen: (key: string) => boolean, continues: Continues = () => false): Translation {
  for (const c of route.when) if (!holds(doc, c)) return { kind: 'ignored', why: 'not_selected' };
  for (const c of route.drop) if (holds(doc, c)) return { kind: 'ignored', why: 'dropped' };
  const payload: Record<string, unknown> = {};
  if (route.time) {
    const raw = firstPresent(doc, route.time.from);
    if (raw !== undefined) {
      const t = parseTime(raw, route.time.format, route.time.zone);
      if (typeof t === 'string') return { kind: 'error', detail: `time (${route.time.from.join(' | ')}): ${t}` };
      payload.ts = t;
    }
  }
  if (route.channel === 'telemetry') return telemetry(route, doc, payload);
  if (route.channel === 'status') {
    const s = route.status!;
    const v = s.path ? getPath(doc, s.path) : typeof doc === 'string' ? doc.trim() : doc;
    payload.online = s.online.some((x) => x === v || String(x) === String(v));
    return { kind: 'payload', channel: 'status', payload };
  }
  return vision(route, doc, payload, seen, continues);
}

function telemetry(route: ProfileRoute, doc: unknown, payload: Record<string, unknown>): Translation {
  const metrics: Record<string, number> = {};
  for (const m of route.metrics) {
    const raw = firstPresent(doc, m.from);
    if (raw === undefined) continue; // DTUs leave out what they did not sample
    const n = toNumber(raw);
    if (n === undefined) return { kind: 'error', detail: `${m.from.join(' | ')}: ${JSON.stringify(raw).slice(0, 40)} is not a number` };
    metrics[m.metric] = convert(n, m);
  }
  if (route.tags) {
    const t = route.tags;
    const list = getPath(doc, t.path);
    const entries = Array.isArray(list) ? list : list !== undefined ? [list] : [];
    for (const e of entries) {
      const tag = e !== null && typeof e === 'object' ? (e as Record<string, unknown>)[t.tag] : undefined;
      if (typeof tag !== 'string' && typeof tag !== 'number') return { kind: 'error', detail: `${t.path}: an entry without a "${t.tag}"` };
      const name = String(tag);
      const mapped = Object.prototype.hasOwnProperty.call(t.map, name) ? t.map[name]! : undefined;
      if (!mapped && t.unmapped === 'ignore') continue;
      if (!mapped && t.unmapped === 'reject') return { kind: 'error', detail: `tag "${name.slice(0, 64)}" is not mapped by the profile` };
      const metric = mapped?.metric ?? name.toLowerCase();
      if (!METRIC_PATTERN.test(metric)) return { kind: 'error', detail: `tag "${name.slice(0, 64)}" gives the metric name "${metric.slice(0, 64)}", which is not valid` };
      const raw = (e as Record<string, unknown>)[t.value];
      const n = toNumber(raw);
      if (n === undefined) return { kind: 'error', detail: `tag "${name.slice(0, 64)}": ${JSON.stringify(raw)?.slice(0, 40)} is not a number` };
      metrics[metric] = mapped ? convert(n, mapped) : n;
    }
  }
  payload.metrics = metrics;
  return { kind: 'payload', channel: 'telemetry', payload };
}

function vision(route: ProfileRoute, doc: unknown, payload: Record<string, unknown>, seen: (key: string) => boolean, continues: Continues): Translation {
  const v = route.vision!;
  const label = firstPresent(doc, v.label);
  if (label === undefined) return { kind: 'error', detail: `no label at ${v.label.join(' | ')}` };
  const type = Object.prototype.hasOwnProperty.call(v.labels, String(label)) ? v.labels[String(label)] : undefined;
  if (!type) return { kind: 'ignored', why: 'label_not_mapped' };
  let onceKey: string | undefined;
  if (v.once) {
    const id = firstPresent(doc, v.once);
    if (id === undefined) return { kind: 'error', detail: `no event id at ${v.once.join(' | ')}` };
    onceKey = String(id);
    if (seen(onceKey)) return { kind: 'ignored', why: 'already_counted' };
  }
  const cameraRaw = v.camera ? firstPresent(doc, v.camera.from) : undefined;
  payload.camera = cameraRaw !== undefined ? `${v.camera!.prefix}${String(cameraRaw)}` : v.defaultCamera;
  if (payload.camera === undefined) return { kind: 'error', detail: 'the message names no camera' };
  let repeat: Repeat | undefined;
  if (v.repeats) {
    const n = toNumber(firstPresent(doc, v.repeats.from));
    if (n !== undefined && Number.isInteger(n) && n >= 0) {
      repeat = { key: `${type}|${String(payload.camera)}`, count: n };
      if (continues(repeat)) return { kind: 'ignored', why: 'already_counted' };
    }
  }
  let confidence = v.defaultScore;
  if (v.score) {
    const raw = firstPresent(doc, v.score.from);
    const n = toNumber(raw);
    if (n !== undefined) confidence = Number((n * v.score.scale).toPrecision(12));
    else if (raw !== undefined) return { kind: 'error', detail: `score: ${JSON.stringify(raw).slice(0, 40)} is not a number` };
  }
  if (confidence === undefined) return { kind: 'error', detail: `no score at ${v.score!.from.join(' | ')}` };
  const detection: Record<string, unknown> = { type, confidence };
  if (v.box) {
    const raw = firstPresent(doc, v.box.from);
    if (raw !== undefined) {
      const b = Array.isArray(raw) && raw.length === 4 ? raw.map(toNumber) : [];
      if (b.length !== 4 || b.some((x) => x === undefined)) return { kind: 'error', detail: `box: ${JSON.stringify(raw).slice(0, 60)} is not 4 numbers` };
      const [x, y, c, d] = b as number[];
      detection.bbox = v.box.format === 'xyxy' ? [x, y, c! - x!, d! - y!] : [x, y, c, d];
    }
  }
  if (v.zones) {
    const z = firstPresent(doc, v.zones);
    // A list (Frigate current_zones) or one value (ISAPI regionID).
    if (Array.isArray(z) && z.length > 0) detection.zones = z.map(String);
    else if (typeof z === 'string' || typeof z === 'number') detection.zones = [String(z)];
  }
  payload.detections = [detection];
  let picture: Buffer | undefined;
  if (v.picture) {
    const raw = firstPresent(doc, v.picture);
    if (raw !== undefined) {
      if (typeof raw !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) return { kind: 'error', detail: 'picture: not base64' };
      picture = Buffer.from(raw, 'base64');
    }
  }
  return { kind: 'payload', channel: 'vision', payload, label: String(label), ...(onceKey !== undefined ? { onceKey } : {}), ...(repeat ? { repeat } : {}), ...(picture ? { picture } : {}) };
}
