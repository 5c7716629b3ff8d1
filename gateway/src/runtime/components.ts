import type { Logger } from '../observability/index.js';

/**
 * One part of the running gateway. Building it does nothing; `start` opens what it needs
 * (listeners, timers, watchers) and `stop` closes it. The gateway starts components in list
 * order and stops them in reverse, so a part starts after what it uses and stops before it.
 */
export interface Component {
  name: string;
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/**
 * Starts each component in order; the first that fails stops those already started (in
 * reverse) and the error is thrown, so a gateway never runs half-started.
 */
export async function startComponents(components: readonly Component[], logger: Logger): Promise<void> {
  const started: Component[] = [];
  for (const c of components) {
    try {
      await c.start?.();
      started.push(c);
      logger.debug({ component: c.name }, 'component started');
    } catch (err) {
      logger.error({ err, component: c.name }, 'component failed to start; stopping those already started');
      await stopComponents(started, logger);
      throw err;
    }
  }
}

/** Stops components in reverse order; one that fails is logged and the others still stop. */
export async function stopComponents(components: readonly Component[], logger: Logger): Promise<void> {
  for (const c of [...components].reverse()) {
    try {
      await c.stop?.();
      logger.debug({ component: c.name }, 'component stopped');
    } catch (err) {
      logger.error({ err, component: c.name }, 'component failed to stop');
    }
  }
}

/** A component that runs `fn` every `ms` while started; a throw is logged, the timer goes on. */
export function periodic(name: string, ms: number, fn: () => void, logger: Logger): Component {
  let timer: NodeJS.Timeout | undefined;
  return {
    name,
    start() {
      timer = setInterval(() => {
        try {
          fn();
        } catch (err) {
          logger.error({ err, task: name }, 'periodic task failed');
        }
      }, ms);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
