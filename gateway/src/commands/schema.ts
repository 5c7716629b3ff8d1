import { z } from 'zod';
import { commandNameSchema } from '../protocol/commands.js';

// A command's life: queued (accepted, not yet acknowledged by the device) -> delivered (the
// device's PUBACK, or an HJ 212 QnRtn=1) -> replied (its answer) | failed (it tried and could
// not) | refused (it will not run it; HJ 212 QnRtn other than 1) | expired (its TTL passed first).
export const COMMAND_STATES = ['queued', 'delivered', 'replied', 'failed', 'refused', 'expired'] as const;
export const commandStateSchema = z.enum(COMMAND_STATES);
export type CommandState = z.infer<typeof commandStateSchema>;

const NEXT: Record<CommandState, readonly CommandState[]> = {
  queued: ['delivered', 'replied', 'failed', 'refused', 'expired'],
  delivered: ['replied', 'failed', 'refused', 'expired'],
  replied: [],
  failed: [],
  refused: [],
  expired: [],
};

export function canMove(from: CommandState, to: CommandState): boolean {
  return NEXT[from].includes(to);
}

export function isFinal(s: CommandState): boolean {
  return NEXT[s].length === 0;
}

/** Largest command payload, as JSON text: commands are small instructions, not file transfers. */
export const MAX_COMMAND_PAYLOAD_BYTES = 8 * 1024;
export const DEFAULT_TTL_SECONDS = 300;
export const MAX_TTL_SECONDS = 24 * 3600;

export const newCommandSchema = z
  .object({
    name: commandNameSchema,
    payload: z
      .record(z.string(), z.unknown())
      .refine((p) => Buffer.byteLength(JSON.stringify(p)) <= MAX_COMMAND_PAYLOAD_BYTES, `must be at most ${MAX_COMMAND_PAYLOAD_BYTES} bytes as JSON`)
      .default({}),
    /** Seconds the command may wait for the device; past it, it is never sent and is marked expired. */
    ttl: z.number().int().min(1).max(MAX_TTL_SECONDS).default(DEFAULT_TTL_SECONDS),
  })
  .strict();
export type NewCommand = z.infer<typeof newCommandSchema>;

export const commandTransitionSchema = z.object({
  state: commandStateSchema,
  at: z.number(),
  actor: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export type CommandTransition = z.infer<typeof commandTransitionSchema>;

export const commandReplyRecordSchema = z.object({
  status: z.enum(['ok', 'error', 'refused']),
  result: z.record(z.string(), z.unknown()).optional(),
  message: z.string().optional(),
  /** When the gateway received it. */
  at: z.number(),
});
export type CommandReplyRecord = z.infer<typeof commandReplyRecordSchema>;

export const commandRecordSchema = z.object({
  id: z.string(),
  site: z.string(),
  device: z.string(),
  name: z.string(),
  payload: z.record(z.string(), z.unknown()),
  /** How it travels: MQTT (commands topic, replies channel) or the HJ 212 downlink. */
  transport: z.enum(['mqtt', 'hj212']),
  /** The HJ 212 QN of a downlink command; null for MQTT. */
  ref: z.string().nullable(),
  state: commandStateSchema,
  by: z.string(),
  issuedAt: z.number(),
  expiresAt: z.number(),
  updatedAt: z.number(),
  transitions: z.array(commandTransitionSchema),
  reply: commandReplyRecordSchema.nullable(),
});
export type CommandRecord = z.infer<typeof commandRecordSchema>;
