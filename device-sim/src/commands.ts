import { createHash } from 'node:crypto';
import { commandEnvelopeSchema, replyTopic, type CommandEnvelope, type CommandReply } from '../../gateway/src/protocol/index.js';
import type { SimDevice, SimGenerator, SimMessage } from './generator.js';
import { scenePicture } from './vendors/picture.js';

// How a simulated device answers a command (README "Device commands"): a camera asked for a
// `snapshot` publishes a frame with a picture now (remote inspection), a sensor asked to `read`
// publishes a reading now; both then reply with what they sent. Anything else is refused.

export interface CommandAnswer {
  /** Messages to publish before the reply (the reading or the picture the command asked for). */
  messages: SimMessage[];
  reply: { topic: string; payload: CommandReply };
}

/** The envelope of a command message, or undefined when it is not one (or has expired). */
export function readCommand(payload: Buffer, now: number): CommandEnvelope | undefined {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = commandEnvelopeSchema.safeParse(body);
  if (!parsed.success || parsed.data.expiresAt <= now) return undefined;
  return parsed.data;
}

/** What `dev` does with command `cmd`; `at` is the run's schedule time, `now` the payload time. */
export function answerCommand(cmd: CommandEnvelope, dev: SimDevice, gen: SimGenerator, at: number, now: number): CommandAnswer {
  const topic = replyTopic(dev.site, dev.device, cmd.id);
  if (dev.camera && cmd.name === 'snapshot') {
    const m = gen.onDemand(dev.device, at);
    const p = m.payload as { detections: Array<{ type: string; confidence: number; bbox?: [number, number, number, number] }> };
    const first = p.detections[0]?.bbox;
    const box: [number, number, number, number] = first ? [Math.round(first[0]), Math.round(first[1]), Math.max(8, Math.round(first[2])), Math.max(8, Math.round(first[3]))] : [140, 100, 40, 40];
    const jpg = scenePicture({ box, seed: now % 1000 });
    const sha256 = createHash('sha256').update(jpg).digest('hex');
    const payload = { ...p, ts: now, picture: { contentType: 'image/jpeg', data: jpg.toString('base64') } };
    return {
      messages: [{ ...m, payload }],
      reply: { topic, payload: { status: 'ok', ts: now, result: { picture: sha256, bytes: jpg.length, detections: p.detections.map((d) => d.type) } } },
    };
  }
  if (!dev.camera && cmd.name === 'read') {
    const m = gen.onDemand(dev.device, at);
    const metrics = (m.payload as { metrics: Record<string, number> }).metrics;
    return { messages: [{ ...m, payload: { ts: now, metrics } }], reply: { topic, payload: { status: 'ok', ts: now, result: { metrics } } } };
  }
  const can = dev.camera ? 'snapshot' : 'read';
  return { messages: [], reply: { topic, payload: { status: 'refused', ts: now, message: `this simulated ${dev.camera ? 'camera' : 'sensor'} answers "${can}" only, not "${cmd.name}"` } } };
}
