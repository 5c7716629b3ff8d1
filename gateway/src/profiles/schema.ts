import { z } from 'zod';
import { detectionTypeSchema, idSchema, metricNameSchema } from '../domain/index.js';
import { isTimeZone, TIME_FORMATS } from './time.js';

// A payload profile maps one vendor's messages to the gateway's own readings, detections and
// status, so equipment nobody will reflash can be connected as it is (issue 14).

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const path = z.string().min(1).max(200).regex(/^(\$|[A-Za-z0-9_@:-]+(\.[A-Za-z0-9_@:-]+)*)$/, 'must be a dotted path such as after.camera or data.0.v');
/** `path: a.b` or `paths: [a.b, c]` (the first one present wins). */
const source = z.union([z.object({ path }).strict().transform((s) => [s.path]), z.object({ paths: z.array(path).min(1).max(8) }).strict().transform((s) => s.paths)]);
const pathFields = { path: path.optional(), paths: z.array(path).min(1).max(8).optional() };
const hasOne = (o: { path?: string; paths?: string[] }) => (o.path === undefined) !== (o.paths === undefined);
const ONE = { message: 'needs exactly one of "path" or "paths"' };
const fromOf = <T extends { path?: string; paths?: string[] }>(o: T): T & { from: string[] } => ({ ...o, from: o.paths ?? [o.path!] });

/** A topic suffix under the device's own prefix (`frigate/events`): the ACL stays as it is. */
const topicSuffix = z
  .string()
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'must be a topic suffix such as frigate/events, without wildcards or a leading /')
  .refine((t) => !['telemetry', 'vision', 'status'].includes(t) && !t.startsWith('commands'), { message: 'telemetry, vision, status and commands/ are the gateway\'s own topics' });

const scalar = z.union([z.string(), finite, z.boolean()]);
const condition = z
  .object({ path, equals: scalar.optional(), in: z.array(scalar).min(1).optional() })
  .strict()
  .refine((c) => (c.equals === undefined) !== (c.in === undefined), { message: 'needs exactly one of "equals" or "in"' });
export type Condition = z.infer<typeof condition>;

const conversion = { scale: finite.default(1), offset: finite.default(0), unit: z.string().max(32).optional() };

export const metricMappingSchema = z.object({ ...pathFields, metric: metricNameSchema, ...conversion }).strict().refine(hasOne, ONE).transform(fromOf);

const tagsSchema = z
  .object({
    /** Where the array of `{tag, value}` objects is. */
    path,
    tag: z.string().min(1).max(64).default('tag'),
    value: z.string().min(1).max(64).default('v'),
    map: z.record(z.string().min(1).max(128), z.object({ metric: metricNameSchema, ...conversion }).strict()).default({}),
    /** Tags not in `map`: `lowercase` takes the lower-cased tag as the metric name (when valid). */
    unmapped: z.enum(['reject', 'ignore', 'lowercase']).default('reject'),
  })
  .strict();

const visionSchema = z
  .object({
    camera: z.object({ ...pathFields, prefix: z.string().max(16).regex(/^[A-Za-z0-9_.-]*$/).default('') }).strict().refine(hasOne, ONE).transform(fromOf).optional(),
    /** Used when the message names no camera. */
    defaultCamera: idSchema.optional(),
    label: source,
    labels: z.record(z.string().min(1).max(128), detectionTypeSchema).refine((m) => Object.keys(m).length > 0, { message: 'must map at least one label' }),
    score: z.object({ ...pathFields, scale: finite.default(1) }).strict().refine(hasOne, ONE).transform(fromOf).optional(),
    /** Confidence when the vendor sends none (Hikvision ISAPI events carry no score). */
    defaultScore: z.number().min(0).max(1).optional(),
    box: z.object({ ...pathFields, format: z.enum(['xyxy', 'xywh']).default('xywh') }).strict().refine(hasOne, ONE).transform(fromOf).optional(),
    zones: source.optional(),
    /** One detection per value of this field (Frigate's event id): later updates do not count again. */
    once: source.optional(),
    /**
     * Repeated posts of one ongoing alarm (Hikvision `activePostCount` 1, 2, 3...): one
     * detection per detection type and camera from the post that starts it (DOMAIN.md 8: type +
     * channel + start); a post whose count goes on from one seen within `withinSeconds` is a repeat.
     */
    repeats: z.object({ ...pathFields, withinSeconds: z.number().int().min(1).max(86_400).default(300) }).strict().refine(hasOne, ONE).transform(fromOf).optional(),
    /** A base64 picture inside the message (its type is taken from its bytes). */
    picture: source.optional(),
  })
  .strict()
  .refine((v) => v.camera !== undefined || v.defaultCamera !== undefined, { message: 'needs "camera" or "defaultCamera"' })
  .refine((v) => v.score !== undefined || v.defaultScore !== undefined, { message: 'needs "score" or "defaultScore"' });

const statusSchema = z
  .object({
    path: path.optional(),
    /** Values (the text body, or the value at `path`) that mean online; anything else is offline. */
    online: z.array(scalar).min(1),
  })
  .strict();

export const routeSchema = z
  .object({
    topic: topicSuffix.optional(),
    http: idSchema.refine((p) => !['telemetry', 'vision', 'status'].includes(p), { message: 'telemetry, vision and status are the canonical paths' }).optional(),
    /** json; text (the body as one string, e.g. Frigate's online/offline); isapi (Hikvision XML, JSON or multipart). */
    format: z.enum(['json', 'text', 'isapi']).default('json'),
    channel: z.enum(['telemetry', 'vision', 'status']),
    /** Every condition must hold, else the message is accepted and ignored. */
    when: z.array(condition).max(8).default([]),
    /** Any condition holding ignores the message (Frigate's false positives). */
    drop: z.array(condition).max(8).default([]),
    time: z
      .object({ ...pathFields, format: z.enum(TIME_FORMATS), zone: z.string().default('Asia/Shanghai') })
      .strict()
      .refine((t) => isTimeZone(t.zone), { message: 'zone: not an IANA time zone such as Asia/Shanghai' })
      .refine(hasOne, ONE)
      .transform(fromOf)
      .optional(),
    metrics: z.array(metricMappingSchema).max(500).default([]),
    tags: tagsSchema.optional(),
    vision: visionSchema.optional(),
    status: statusSchema.optional(),
  })
  .strict()
  .refine((r) => r.topic !== undefined || r.http !== undefined, { message: 'needs a "topic" (MQTT) or an "http" path, or both' })
  .refine((r) => r.channel !== 'telemetry' || r.metrics.length > 0 || r.tags !== undefined, { message: 'a telemetry route needs "metrics" or "tags"' })
  .refine((r) => r.channel !== 'vision' || r.vision !== undefined, { message: 'a vision route needs "vision"' })
  .refine((r) => r.channel !== 'status' || r.status !== undefined, { message: 'a status route needs "status"' })
  .refine((r) => r.format !== 'isapi' || r.http !== undefined, { message: 'format isapi is pushed over HTTP: needs "http"' });
export type ProfileRoute = z.infer<typeof routeSchema>;

/**
 * Pictures published on their own topic, apart from the detection (Frigate:
 * `{prefix}/{camera}/{label}/snapshot`, the JPEG bytes): each goes to the latest detection of
 * that camera and label made by `route` within `withinSeconds`, which has none yet.
 */
const snapshotsSchema = z
  .object({
    topic: z
      .string()
      .max(128)
      .regex(/^([A-Za-z0-9_.-]+|\{camera\}|\{label\})(\/([A-Za-z0-9_.-]+|\{camera\}|\{label\}))*$/, 'must be a topic suffix whose levels are words, {camera} or {label}')
      .refine((t) => t.split('/').filter((l) => l === '{camera}').length === 1 && t.split('/').filter((l) => l === '{label}').length === 1, { message: 'must name {camera} and {label} once each, as whole levels' }),
    /** The topic of the vision route whose detections the pictures belong to. */
    route: topicSuffix,
    withinSeconds: z.number().int().min(1).max(3600).default(60),
  })
  .strict();
export type SnapshotLink = z.infer<typeof snapshotsSchema>;

export const profileSchema = z
  .object({
    id: idSchema,
    description: z.string().max(2000).optional(),
    /** Topic suffixes (and everything under them) of the vendor that carry nothing for us: accepted, counted, dropped. */
    ignoreTopics: z.array(topicSuffix).max(32).default([]),
    routes: z.array(routeSchema).min(1).max(32),
    snapshots: snapshotsSchema.optional(),
  })
  .strict()
  .refine((p) => !p.snapshots || p.routes.some((r) => r.topic === p.snapshots!.route && r.channel === 'vision'), { message: 'snapshots.route must be the topic of one of the profile\'s vision routes', path: ['snapshots', 'route'] });
export type Profile = z.infer<typeof profileSchema>;
