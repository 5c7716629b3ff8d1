import type { AppliedTransition } from '../events/index.js';
import { transitionMessage, type SseHub, type Webhooks } from '../fanout/index.js';
import type { Logger } from '../observability/index.js';
import { eventTopic } from '../protocol/topics.js';
import type { TransitionSink } from './sinks.js';

// The transition sinks of the gateway, in the order app.ts adds them.

/** Every transition, suppressed ones included, into the history's outbox. */
export function historySink(history: { writeTransition(a: AppliedTransition): Promise<void> }, logger: Logger): TransitionSink {
  return { name: 'history', includeSuppressed: true, send: (a) => void history.writeTransition(a).catch((err) => logger.error({ err }, 'outbox write failed')) };
}

export function sseSink(sse: SseHub): TransitionSink {
  return { name: 'sse', send: (a) => sse.dispatch(a) };
}

/** The MQTT topic supervision/events/{site}, QoS 1, for supervisors' clients. */
export function mqttEventSink(broker: { publish(topic: string, payload: string, qos: 0 | 1): Promise<unknown> }, logger: Logger): TransitionSink {
  return {
    name: 'mqtt',
    send: (a) => void broker.publish(eventTopic(a.event.site), JSON.stringify(transitionMessage(a)), 1).catch((err) => logger.warn({ err }, 'event publish failed')),
  };
}

/** Webhook deliveries are queued by the event store in the transition's transaction; this wakes the sender. */
export function webhookSink(webhooks: Pick<Webhooks, 'kick'>): TransitionSink {
  return { name: 'webhooks', send: () => webhooks.kick() };
}

/** Listeners of `Gateway.onTransition` (tests, embedding): every applied transition. */
export function listenerSink(listeners: ReadonlySet<(a: AppliedTransition) => void>): TransitionSink {
  return { name: 'listeners', includeSuppressed: true, send: (a) => listeners.forEach((l) => l(a)) };
}
