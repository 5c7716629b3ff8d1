import { z } from 'zod';
import { devicePrefix } from './topics.js';

// Device commands (README "Device commands"): the gateway publishes a command at QoS 1 to
// sites/{site}/devices/{device}/commands/{name} with the envelope below; the device answers on
// sites/{site}/devices/{device}/replies/{commandId} with a reply payload.

/** A command name is one topic level: no "/", "+", "#", no leading "$", nothing a filter could match by surprise. */
export const COMMAND_NAME_PATTERN = /^[a-z][a-z0-9_.-]{0,47}$/;
export const commandNameSchema = z
  .string()
  .regex(COMMAND_NAME_PATTERN, 'must be 1-48 characters of lower-case letters, digits, "_", "." or "-", starting with a letter');

/** Command ids are UUIDs (crypto.randomUUID): one topic level, never guessable from another. */
export const COMMAND_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const commandIdSchema = z.string().regex(COMMAND_ID_PATTERN, 'is not a command id');

/** What a device receives on its commands topic. A device must ignore a command past `expiresAt`. */
export const commandEnvelopeSchema = z
  .object({
    id: commandIdSchema,
    name: commandNameSchema,
    payload: z.unknown(),
    /** Epoch milliseconds, gateway clock. */
    issuedAt: z.number().int(),
    expiresAt: z.number().int(),
  })
  .strict();
export type CommandEnvelope = z.infer<typeof commandEnvelopeSchema>;

/**
 * A device's answer. `ok`: done, with an optional result; `error`: tried and failed;
 * `refused`: the device will not run it (unknown name, bad payload, busy).
 */
export const commandReplySchema = z
  .object({
    status: z.enum(['ok', 'error', 'refused']),
    result: z.record(z.string(), z.unknown()).optional(),
    message: z.string().max(500).optional(),
    ts: z.number().int().positive().optional(),
  })
  .strict();
export type CommandReply = z.infer<typeof commandReplySchema>;

/** The topic a command is published to (the device subscribes to `commandsFilter`). */
export function commandTopic(site: string, device: string, name: string): string {
  return `${devicePrefix(site, device)}commands/${name}`;
}

/** Where a device answers a command: under its own prefix, so the broker ACL confines it to its own replies. */
export function replyTopic(site: string, device: string, commandId: string): string {
  return `${devicePrefix(site, device)}replies/${commandId}`;
}

/**
 * The command id of a reply topic of this device, `null` when the topic is not a reply topic
 * at all, or `''` when it is a reply topic whose last level is not a command id.
 */
export function replyCommandId(topic: string, site: string, device: string): string | null {
  // Every publish passes here: most are telemetry, told apart without building the prefix.
  if (!topic.includes('/replies/')) return null;
  const prefix = `${devicePrefix(site, device)}replies/`;
  if (!topic.startsWith(prefix)) return null;
  const id = topic.slice(prefix.length);
  return COMMAND_ID_PATTERN.test(id) ? id : '';
}
