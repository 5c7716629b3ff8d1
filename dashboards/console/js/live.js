// Every event transition as it happens, from the stream: views subscribe and patch what they
// show. Lists and counts come from the server (GET /api/events, /api/events/summary); this
// module only carries changes, so nothing is ever hidden by what the browser has loaded.
import { openEventStream } from './sse.js';

const ms = (v) => (v === null || v === undefined ? v : typeof v === 'number' ? v : Date.parse(v));

/** A stream message's event in the shape /api/events answers, as far as the message tells. */
export function fromMessage(msg, previous) {
  const e = msg.event;
  const state = e.state;
  return {
    ...previous,
    ...e,
    raisedAt: ms(e.raisedAt),
    ...(e.detectedAt !== undefined ? { detectedAt: ms(e.detectedAt) } : {}),
    updatedAt: Date.parse(msg.at),
    overdue: state === 'open' && ((previous?.overdue ?? false) || msg.type === 'overdue'),
    disposition: msg.disposition ?? previous?.disposition ?? null,
    suppressed: previous?.suppressed ?? false,
  };
}

export function createLiveEvents(api, { onStatus, onUnauthorized } = {}) {
  const listeners = new Set();
  // The latest copy seen of each event this tab has met, so a patch keeps what the message lacks.
  const known = new Map();
  const notify = (change) => {
    for (const l of listeners) l(change);
  };

  const stream = openEventStream({
    url: '/api/events/stream',
    token: api.token,
    onStatus: (s) => {
      if (s === 'unauthorized') onUnauthorized?.();
      onStatus?.(s);
    },
    onEvent: (m) => {
      if (m.type !== 'transition') return;
      let msg;
      try {
        msg = JSON.parse(m.data);
      } catch {
        return;
      }
      const event = fromMessage(msg, known.get(msg.event.id));
      remember(event);
      notify({ event, message: msg });
    },
  });

  function remember(event) {
    known.set(event.id, event);
    // Bounded: only recent copies matter for patching.
    if (known.size > 5000) known.delete(known.keys().next().value);
  }

  return {
    /** Records copies loaded from the API so later stream patches keep their fields. */
    seen(events) {
      for (const e of events) {
        const k = known.get(e.id);
        if (!k || !(k.updatedAt > e.updatedAt)) remember(e);
      }
    },
    get: (id) => known.get(id),
    /** Replace one event with a fresh copy from the API (after an action, say). */
    put: (event) => {
      remember({ ...known.get(event.id), ...event });
      notify({ event: known.get(event.id), message: null });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => stream.stop(),
  };
}
