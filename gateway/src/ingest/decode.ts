import type { z } from 'zod';
import type { DeviceRef, Detection, DeviceStatus, Reading } from '../domain/index.js';
import { METRIC_PATTERN } from '../domain/index.js';
import { isChannel, parseTopic, prefixOf, type Channel } from '../protocol/topics.js';
import { DATA_FLAGS, statusPayloadSchema, telemetryPayloadSchema, visionPayloadSchema } from '../protocol/payloads.js';
import { jsonDepthExceeds } from './json-depth.js';
import { defaultTimePolicy, eventTime, type TimePolicy } from './event-time.js';

/** Size limits of a message, and the event-time policy (see event-time.ts). */
export interface IngestLimits extends TimePolicy {
  maxPayloadBytes: number;
  maxMetricsPerMessage: number;
  maxDetectionsPerMessage: number;
  maxJsonDepth: number;
  /** Largest evidence picture (decoded bytes); a vision payload may be larger by its base64. */
  maxPictureBytes: number;
}

export const defaultIngestLimits: IngestLimits = {
  maxPayloadBytes: 64 * 1024,
  maxMetricsPerMessage: 200,
  maxDetectionsPerMessage: 100,
  maxJsonDepth: 8,
  ...defaultTimePolicy,
  maxPictureBytes: 2 * 1024 * 1024,
};

export type RejectReason =
  | 'unknown_topic'
  | 'foreign_topic'
  | 'payload_too_large'
  | 'json_too_deep'
  | 'forbidden_key'
  | 'invalid_json'
  | 'invalid_payload'
  | 'too_many_metrics'
  | 'too_many_detections'
  | 'picture_too_large'
  | 'not_a_picture'
  | 'picture_type_mismatch'
  | 'invalid_profile_message'
  | 'foreign_device'
  | 'invalid_xml'
  | 'outbox_full'
  /** The payload `ts` is older than the backfill window (GATEWAY_MAX_BACKFILL). */
  | 'too_old';

export interface Rejection {
  ok: false;
  reason: RejectReason;
  detail: string;
}

export type Decoded =
  | { ok: true; channel: 'telemetry'; readings: Reading[] }
  | {
      ok: true;
      channel: 'vision';
      camera: string;
      detections: Detection[];
      picture?: { contentType: string; data: Buffer };
      /** The detections were counted already; this message only brings their picture (Frigate's snapshot topic). */
      amends?: true;
    }
  | { ok: true; channel: 'status'; status: DeviceStatus };

// Keys that reach object prototypes in careless code downstream; refused outright (cheap byte scan).
const FORBIDDEN_NAMES = ['__proto__', 'constructor', 'prototype'];
const FORBIDDEN_KEYS = FORBIDDEN_NAMES.map((k) => Buffer.from(`"${k}"`));
// JSON may spell a key with \u escapes ("\u005f_proto__"), which the byte scan cannot see.
const UNICODE_ESCAPE = Buffer.from('\\u');

/** The first forbidden key anywhere in parsed JSON (depth is already bounded by jsonDepthExceeds). */
function forbiddenKeyIn(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const v of value) {
      const k = forbiddenKeyIn(v);
      if (k) return k;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_NAMES.includes(key)) return key;
    const k = forbiddenKeyIn((value as Record<string, unknown>)[key]);
    if (k) return k;
  }
  return undefined;
}

function reject(reason: RejectReason, detail: string): Rejection {
  return { ok: false, reason, detail };
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/**
 * Decodes one MQTT message from an authenticated device. Never throws: anything wrong
 * with the message comes back as a Rejection with a reason (for counters) and a detail
 * (for the log and the device's operator).
 */
export function decodeMessage(
  topic: string,
  payload: Buffer,
  from: DeviceRef,
  receivedAt: number,
  limits: IngestLimits = defaultIngestLimits,
): Decoded | Rejection {
  // The device's own prefix is the common case (the broker's ACL already saw it): no regex needed.
  const prefix = prefixOf(from);
  let channel: Channel;
  if (topic.startsWith(prefix) && isChannel(topic.slice(prefix.length))) {
    channel = topic.slice(prefix.length) as Channel;
  } else {
    const parsedTopic = parseTopic(topic);
    if (!parsedTopic) return reject('unknown_topic', `topic "${topic.slice(0, 200)}" is not sites/{site}/devices/{device}/{telemetry|vision|status}`);
    if (parsedTopic.site !== from.site || parsedTopic.device !== from.device) {
      return reject('foreign_topic', `device ${from.device} of site ${from.site} may not publish to ${topic}`);
    }
    channel = parsedTopic.channel;
  }
  // A vision message may carry its picture in base64 (4 characters per 3 bytes) beyond the usual limit.
  const max = channel === 'vision' ? limits.maxPayloadBytes + Math.ceil(limits.maxPictureBytes / 3) * 4 : limits.maxPayloadBytes;
  if (payload.length > max) {
    return reject('payload_too_large', `payload is ${payload.length} bytes, the limit is ${max}`);
  }
  // RFC 8259 section 8.1: a parser may ignore a UTF-8 byte order mark before the JSON text.
  if (payload[0] === 0xef && payload[1] === 0xbb && payload[2] === 0xbf) payload = payload.subarray(3);
  if (jsonDepthExceeds(payload, limits.maxJsonDepth)) {
    return reject('json_too_deep', `JSON nesting is deeper than ${limits.maxJsonDepth}`);
  }
  let json: unknown;
  let parseError: Error | undefined;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    parseError = err as Error;
  }
  // The common telemetry message: every key it holds is `metrics`, `ts` or a metric name, so one
  // look at the metric names replaces the four byte scans below (about 4 % of ingest CPU).
  const fast = parseError === undefined && channel === 'telemetry' ? fastTelemetry(json) : null;
  if (fast && !Object.keys(fast.metrics).some((name) => FORBIDDEN_NAMES.includes(name))) {
    return telemetryOf(fast, from, receivedAt, limits);
  }
  const forbidden = FORBIDDEN_KEYS.find((k) => payload.includes(k));
  if (forbidden) return reject('forbidden_key', `payload contains the key ${forbidden.toString()}, which is never accepted`);
  if (parseError) return reject('invalid_json', `payload is not JSON: ${parseError.message.slice(0, 120)}`);
  const escaped = payload.includes(UNICODE_ESCAPE) ? forbiddenKeyIn(json) : undefined;
  if (escaped) return reject('forbidden_key', `payload contains the key "${escaped}" (written with \\u escapes), which is never accepted`);
  return decodeJson(channel, json, from, receivedAt, limits);
}


/**
 * The common telemetry shape checked by hand, `{ "ts"?: epoch ms, "metrics": { name: finite
 * number } }` and nothing else: about 3x cheaper than the zod schema. It accepts only what
 * telemetryPayloadSchema accepts (a test holds them together); anything else, and every
 * error, goes through zod, which stays the definition of the payload.
 */
function fastTelemetry(json: unknown): { ts?: number; metrics: Record<string, number> } | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const o = json as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length > 2) return null;
  for (const k of keys) if (k !== 'metrics' && k !== 'ts') return null;
  const ts = o.ts;
  if (ts !== undefined && !(typeof ts === 'number' && Number.isInteger(ts) && ts > 0 && ts <= 8.64e15)) return null;
  const metrics = o.metrics;
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) return null;
  for (const name of Object.keys(metrics)) {
    const v = (metrics as Record<string, unknown>)[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || !METRIC_PATTERN.test(name)) return null;
  }
  return ts === undefined ? { metrics: metrics as Record<string, number> } : { ts, metrics: metrics as Record<string, number> };
}

export { fastTelemetry as fastTelemetryForTest };

/** The readings of a checked telemetry payload (or why its contents are refused). */
function telemetryOf(data: z.infer<typeof telemetryPayloadSchema>, from: DeviceRef, receivedAt: number, limits: IngestLimits): Decoded | Rejection {
  const names = Object.keys(data.metrics);
  if (names.length === 0) return reject('invalid_payload', 'metrics: must hold at least one metric');
  if (names.length > limits.maxMetricsPerMessage) {
    return reject('too_many_metrics', `${names.length} metrics, the limit is ${limits.maxMetricsPerMessage}`);
  }
  const time = eventTime(data.ts, receivedAt, limits);
  if (!time.ok) return reject('too_old', time.detail);
  const flags = data.flags ?? {};
  const readings: Reading[] = names.map((metric) => ({
    site: from.site,
    device: from.device,
    sector: from.sector,
    kind: from.kind,
    metric,
    value: data.metrics[metric]!,
    ts: time.ts,
    receivedAt,
    skewed: time.skewed,
    late: time.late,
    arrival: time.arrival,
    valid: DATA_FLAGS[flags[metric] ?? 'N'],
    ...(flags[metric] ? { flag: flags[metric] } : {}),
  }));
  return { ok: true, channel: 'telemetry', readings };
}

/** Decodes an already parsed payload of a channel (profiles and HTTP ingest arrive here). */
export function decodeJson(channel: Channel, json: unknown, from: DeviceRef, receivedAt: number, limits: IngestLimits): Decoded | Rejection {
  if (channel === 'telemetry') {
    const fast = fastTelemetry(json);
    const p = fast ? { success: true as const, data: fast as z.infer<typeof telemetryPayloadSchema> } : telemetryPayloadSchema.safeParse(json);
    if (!p.success) return reject('invalid_payload', describe(p.error));
    return telemetryOf(p.data, from, receivedAt, limits);
  }
  if (channel === 'vision') {
    const p = visionPayloadSchema.safeParse(json);
    if (!p.success) return reject('invalid_payload', describe(p.error));
    if (p.data.detections.length > limits.maxDetectionsPerMessage) {
      return reject('too_many_detections', `${p.data.detections.length} detections, the limit is ${limits.maxDetectionsPerMessage}`);
    }
    const time = eventTime(p.data.ts, receivedAt, limits);
    if (!time.ok) return reject('too_old', time.detail);
    const detections: Detection[] = p.data.detections.map((d) => ({
      site: from.site,
      device: from.device,
      sector: from.sector,
      kind: from.kind,
      camera: p.data.camera,
      type: d.type,
      confidence: d.confidence,
      ...(d.bbox ? { bbox: d.bbox } : {}),
      ...(d.zones ? { zones: d.zones } : {}),
      ...(p.data.snapshot ? { snapshot: p.data.snapshot } : {}),
      ts: time.ts,
      receivedAt,
      skewed: time.skewed,
      late: time.late,
      arrival: time.arrival,
    }));
    const picture = p.data.picture ? { contentType: p.data.picture.contentType, data: Buffer.from(p.data.picture.data, 'base64') } : undefined;
    return picture ? { ok: true, channel, camera: p.data.camera, detections, picture } : { ok: true, channel, camera: p.data.camera, detections };
  }
  const p = statusPayloadSchema.safeParse(json);
  if (!p.success) return reject('invalid_payload', describe(p.error));
  const time = eventTime(p.data.ts, receivedAt, limits);
  if (!time.ok) return reject('too_old', time.detail);
  return {
    ok: true,
    channel,
    status: { site: from.site, device: from.device, sector: from.sector, kind: from.kind, online: p.data.online, ts: time.ts, receivedAt, source: 'status' },
  };
}
