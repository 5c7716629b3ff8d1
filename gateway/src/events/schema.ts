import { z } from 'zod';
import { sectorSchema, severitySchema } from '../domain/index.js';

export const EVENT_STATES = ['open', 'acknowledged', 'resolved', 'closed'] as const;
export const eventStateSchema = z.enum(EVENT_STATES);
export type EventState = z.infer<typeof eventStateSchema>;

// `referred` (issue 16): handed to another department, with a note; the state does not change.
export const TRANSITION_TYPES = ['raised', 'escalated', 'acknowledged', 'commented', 'overdue', 'resolved', 'closed', 'referred'] as const;
export const transitionTypeSchema = z.enum(TRANSITION_TYPES);
export type TransitionType = z.infer<typeof transitionTypeSchema>;

export const evidenceItemSchema = z.object({
  ts: z.number(),
  confidence: z.number(),
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
  snapshot: z.string().optional(),
  /** SHA-256 of the evidence picture (GET /api/evidence/:sha256). */
  picture: z.string().optional(),
  /** SHA-256 of the HJ 212 frame behind the deciding value (measurement hj212_frame). */
  frame: z.string().optional(),
  zones: z.array(z.string()).optional(),
});

/** A supervision event as the API returns it. */
export const supervisionEventSchema = z.object({
  id: z.string(),
  key: z.string(),
  rule: z.string(),
  ruleVersion: z.string(),
  item: z.string(),
  title: z.string(),
  site: z.string(),
  device: z.string(),
  sector: sectorSchema,
  metric: z.string().nullable(),
  camera: z.string().nullable(),
  detectionType: z.string().nullable(),
  severity: severitySchema,
  value: z.number(),
  threshold: z.number().nullable(),
  message: z.string(),
  state: eventStateSchema,
  /** Event time of the raise: the time of the readings that raised it (ms since epoch). */
  raisedAt: z.number(),
  /** The gateway clock when it was raised: when it could first be seen. Overdue counts from here. */
  detectedAt: z.number(),
  /** raisedAt and detectedAt differ by more than the clock skew: raised from buffered (late) data. */
  late: z.boolean(),
  updatedAt: z.number(),
  acknowledgedAt: z.number().nullable(),
  resolvedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  disposition: z.string().nullable(),
  /** Raised inside a maintenance window: recorded and visible, never sent to subscribers. */
  suppressed: z.boolean(),
  /** Not acknowledged within the limit for its severity. */
  overdue: z.boolean(),
});
export type SupervisionEvent = z.infer<typeof supervisionEventSchema>;

export const DISPOSITIONS = ['confirmed_violation', 'false_alarm', 'device_fault', 'rectified', 'duplicate', 'other'] as const;
export const dispositionSchema = z.enum(DISPOSITIONS);
export type Disposition = z.infer<typeof dispositionSchema>;

export const transitionRecordSchema = z.object({
  seq: z.number(),
  eventId: z.string(),
  site: z.string(),
  device: z.string(),
  type: transitionTypeSchema,
  /** When it happened: event time for what the rules decided, the gateway clock for people's actions. */
  at: z.number(),
  /** The gateway clock when it was recorded (equals `at` unless decided from late data). */
  detectedAt: z.number(),
  actor: z.string(),
  note: z.string().nullable(),
  severity: severitySchema,
  value: z.number(),
  disposition: dispositionSchema.nullable(),
  /** The department a `referred` transition handed the event to. */
  department: z.string().optional(),
});
export type TransitionRecord = z.infer<typeof transitionRecordSchema>;

export const eventDetailSchema = supervisionEventSchema.extend({
  transitions: z.array(transitionRecordSchema),
  evidence: z.array(evidenceItemSchema),
});
export type EventDetail = z.infer<typeof eventDetailSchema>;
