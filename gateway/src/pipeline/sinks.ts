import type { AppliedTransition } from '../events/index.js';
import type { Logger } from '../observability/index.js';

/**
 * Where a recorded transition goes after the event store: the history, SSE, the MQTT event
 * topic, webhooks. Sinks run in the order they were added; a suppressed event (maintenance)
 * reaches only sinks that ask for suppressed events too (the history records everything).
 */
export interface TransitionSink {
  name: string;
  /** True for a sink that records suppressed events as well (the history). */
  includeSuppressed?: boolean;
  send(applied: AppliedTransition): void;
}

/** Sends to every sink in order; one that throws is logged and the rest still run. */
export function sendToSinks(sinks: readonly TransitionSink[], applied: AppliedTransition, logger: Logger): void {
  const suppressed = applied.event.suppressed;
  for (const sink of sinks) {
    if (suppressed && !sink.includeSuppressed) continue;
    try {
      sink.send(applied);
    } catch (err) {
      logger.error({ err, sink: sink.name, event: applied.event.id }, 'transition sink failed');
    }
  }
}
