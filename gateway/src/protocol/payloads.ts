import { z } from 'zod';
import { detectionTypeSchema, idSchema, metricNameSchema } from '../domain/index.js';

// HJ 212-2017 data flags (DOMAIN.md 1.5): N and S are valid, the rest mark the value invalid.
export const DATA_FLAGS = { N: true, S: true, F: false, M: false, D: false, C: false, T: false, B: false } as const;
const dataFlagSchema = z.enum(['N', 'S', 'F', 'M', 'D', 'C', 'T', 'B']);

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

// Epoch milliseconds or an ISO 8601 string with a time zone.
export const timestampSchema = z.union([
  z.number().int('epoch milliseconds must be an integer').positive().max(8.64e15),
  z.iso.datetime({ offset: true }),
]);

export const telemetryPayloadSchema = z
  .object({
    ts: timestampSchema.optional(),
    metrics: z.record(metricNameSchema, finite),
    flags: z.record(metricNameSchema, dataFlagSchema).optional(),
  })
  .strict();

// The evidence picture carried in JSON; its bytes are checked (size, magic) where it is stored.
export const pictureSchema = z
  .object({
    contentType: z.enum(['image/jpeg', 'image/png', 'image/webp']),
    data: z.base64('must be base64'),
  })
  .strict();

export const visionPayloadSchema = z
  .object({
    ts: timestampSchema.optional(),
    camera: idSchema,
    detections: z.array(
      z
        .object({
          type: detectionTypeSchema,
          confidence: z.number().min(0).max(1),
          bbox: z.tuple([finite, finite, finite, finite]).optional(),
          /** Zones of the camera's picture the object is in (Frigate `current_zones`). */
          zones: z.array(idSchema).max(16).optional(),
        })
        .strict(),
    ),
    snapshot: z.string().max(2048).regex(/^[^\s]+$/, 'must be a URI without spaces').optional(),
    picture: pictureSchema.optional(),
  })
  .strict();

export const statusPayloadSchema = z
  .object({
    ts: timestampSchema.optional(),
    online: z.boolean(),
  })
  .passthrough();

export type TelemetryPayload = z.infer<typeof telemetryPayloadSchema>;
export type VisionPayload = z.infer<typeof visionPayloadSchema>;
