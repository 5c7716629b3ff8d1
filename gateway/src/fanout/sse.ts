import type { ServerResponse } from 'node:http';
import type { AppliedTransition } from '../events/index.js';
import { matches, transitionMessage, type SubscriberFilter } from './message.js';

interface SseClient {
  res: ServerResponse;
  filter: SubscriberFilter;
}

export type SseHub = ReturnType<typeof createSseHub>;

/** Server-Sent Events subscribers. The SSE `id:` is the audit sequence number. */
export function createSseHub() {
  const clients = new Set<SseClient>();

  function write(c: SseClient, a: AppliedTransition) {
    c.res.write(`id: ${a.transition.seq}\nevent: transition\ndata: ${JSON.stringify(transitionMessage(a))}\n\n`);
  }

  return {
    /** Registers a response; replays what the client missed first, so order holds. */
    add(res: ServerResponse, filter: SubscriberFilter, missed: AppliedTransition[]) {
      const c = { res, filter };
      for (const a of missed) if (matches(filter, a)) write(c, a);
      clients.add(c);
      // A comment line every 15 s keeps proxies from closing an idle stream.
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), 15_000);
      keepalive.unref();
      res.on('close', () => {
        clearInterval(keepalive);
        clients.delete(c);
      });
    },
    dispatch(a: AppliedTransition) {
      for (const c of clients) if (matches(c.filter, a)) write(c, a);
    },
    size: () => clients.size,
    closeAll() {
      for (const c of clients) c.res.end();
      clients.clear();
    },
  };
}
