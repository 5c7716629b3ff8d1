import type { z } from 'zod';
import type { DeviceRef, Detection, DeviceStatus, Reading } from '../domain/index.js';
import { parseTopic, type Channel } from './topic.js';
import { DATA_FLAGS, statusPayloadSchema, telemetryPayloadSchema, visionPayloadSchema } from './payloads.js';
import { jsonDepthExceeds } from './json-depth.js';

export interface IngestLimits {
  maxPayloadBytes: number;
  maxMetricsPerMessage: number;
  maxDetectionsPerMessage: number;
  maxJsonDepth: number;
  /** A payload `ts` further than this from the gateway clock is replaced by the arrival time. */
  maxClockSkewMs: number;
}

export const defaultIngestLimits: IngestLimits = {
  maxPayloadBytes: 64 * 1024,
  maxMetricsPerMessage: 200,
  maxDetectionsPerMessage: 100,
  maxJsonDepth: 8,
  maxClockSkewMs: 5 * 60_000,
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
  | 'too_many_detections';

export interface Rejection {
  ok: false;
  reason: RejectReason;
  detail: string;
}

export type Decoded =
  | { ok: true; channel: 'telemetry'; readings: Reading[] }
  | { ok: true; channel: 'vision'; camera: string; detections: Detection[] }
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

function eventTime(ts: number | string | undefined, receivedAt: number, maxSkew: number) {
  if (ts === undefined) return { ts: receivedAt, skewed: true };
  const t = typeof ts === 'number' ? ts : Date.parse(ts);
  if (!Number.isFinite(t) || Math.abs(t - receivedAt) > maxSkew) return { ts: receivedAt, skewed: true };
  return { ts: t, skewed: false };
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
  const parsedTopic = parseTopic(topic);
  if (!parsedTopic) return reject('unknown_topic', `topic "${topic.slice(0, 200)}" is not sites/{site}/devices/{device}/{telemetry|vision|status}`);
  if (parsedTopic.site !== from.site || parsedTopic.device !== from.device) {
    return reject('foreign_topic', `device ${from.device} of site ${from.site} may not publish to ${topic}`);
  }
  if (payload.length > limits.maxPayloadBytes) {
    return reject('payload_too_large', `payload is ${payload.length} bytes, the limit is ${limits.maxPayloadBytes}`);
  }
  if (jsonDepthExceeds(payload, limits.maxJsonDepth)) {
    return reject('json_too_deep', `JSON nesting is deeper than ${limits.maxJsonDepth}`);
  }
  const forbidden = FORBIDDEN_KEYS.find((k) => payload.includes(k));
  if (forbidden) return reject('forbidden_key', `payload contains the key ${forbidden.toString()}, which is never accepted`);
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return reject('invalid_json', `payload is not JSON: ${(err as Error).message.slice(0, 120)}`);
  }
  const escaped = payload.includes(UNICODE_ESCAPE) ? forbiddenKeyIn(json) : undefined;
  if (escaped) return reject('forbidden_key', `payload contains the key "${escaped}" (written with \\u escapes), which is never accepted`);
  return decodeJson(parsedTopic.channel, json, from, receivedAt, limits);
}

function decodeJson(channel: Channel, json: unknown, from: DeviceRef, receivedAt: number, limits: IngestLimits): Decoded | Rejection {
  if (channel === 'telemetry') {
    const p = telemetryPayloadSchema.safeParse(json);
    if (!p.success) return reject('invalid_payload', describe(p.error));
    const names = Object.keys(p.data.metrics);
    if (names.length === 0) return reject('invalid_payload', 'metrics: must hold at least one metric');
    if (names.length > limits.maxMetricsPerMessage) {
      return reject('too_many_metrics', `${names.length} metrics, the limit is ${limits.maxMetricsPerMessage}`);
    }
    const time = eventTime(p.data.ts, receivedAt, limits.maxClockSkewMs);
    const flags = p.data.flags ?? {};
    const readings: Reading[] = names.map((metric) => ({
      site: from.site,
      device: from.device,
      sector: from.sector,
      kind: from.kind,
      metric,
      value: p.data.metrics[metric]!,
      ts: time.ts,
      receivedAt,
      skewed: time.skewed,
      valid: DATA_FLAGS[flags[metric] ?? 'N'],
      ...(flags[metric] ? { flag: flags[metric] } : {}),
    }));
    return { ok: true, channel, readings };
  }
  if (channel === 'vision') {
    const p = visionPayloadSchema.safeParse(json);
    if (!p.success) return reject('invalid_payload', describe(p.error));
    if (p.data.detections.length > limits.maxDetectionsPerMessage) {
      return reject('too_many_detections', `${p.data.detections.length} detections, the limit is ${limits.maxDetectionsPerMessage}`);
    }
    const time = eventTime(p.data.ts, receivedAt, limits.maxClockSkewMs);
    const detections: Detection[] = p.data.detections.map((d) => ({
      site: from.site,
      device: from.device,
      sector: from.sector,
      kind: from.kind,
      camera: p.data.camera,
      type: d.type,
      confidence: d.confidence,
      ...(d.bbox ? { bbox: d.bbox } : {}),
      ...(p.data.snapshot ? { snapshot: p.data.snapshot } : {}),
      ts: time.ts,
      receivedAt,
      skewed: time.skewed,
    }));
    return { ok: true, channel, camera: p.data.camera, detections };
  }
  const p = statusPayloadSchema.safeParse(json);
  if (!p.success) return reject('invalid_payload', describe(p.error));
  const time = eventTime(p.data.ts, receivedAt, limits.maxClockSkewMs);
  return {
    ok: true,
    channel,
    status: { site: from.site, device: from.device, sector: from.sector, kind: from.kind, online: p.data.online, ts: time.ts, receivedAt, source: 'status' },
  };
}
