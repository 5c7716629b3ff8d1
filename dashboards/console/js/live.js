// The events the wall shows, kept current: the newest page from /api/events, then every
// transition from the stream applied on top. The stream opens first so nothing raised while
// the page loads is lost; a transition newer than the listed copy wins.
import { openEventStream } from './sse.js';

const PAGE = 500;

/** A stream message's event in the shape /api/events answers, as far as the message tells. */
function fromMessage(msg, previous) {
  const e = msg.event;
  return {
    ...previous,
    ...e,
    raisedAt: Date.parse(e.raisedAt),
    updatedAt: Date.parse(msg.at),
    overdue: (previous?.overdue ?? false) || msg.type === 'overdue',
    disposition: msg.disposition ?? previous?.disposition ?? null,
    suppressed: false,
  };
}

export function createLiveEvents(api, { onStatus, onUnauthorized } = {}) {
  const events = new Map();
  const listeners = new Set();
  let loaded = false;

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
      const event = fromMessage(msg, events.get(msg.event.id));
      events.set(event.id, event);
      notify({ event, message: msg });
    },
  });

  const ready = api.get(`/api/events?limit=${PAGE}`).then((body) => {
    for (const e of body.events) {
      const streamed = events.get(e.id);
      if (!streamed || streamed.updatedAt < e.updatedAt) events.set(e.id, e);
    }
    loaded = true;
    notify({ event: null, message: null });
  });

  return {
    ready,
    get loaded() {
      return loaded;
    },
    /** Newest first. */
    list: () => [...events.values()].sort((a, b) => b.raisedAt - a.raisedAt || (a.id < b.id ? 1 : -1)),
    get: (id) => events.get(id),
    /** Replace one event with a fresh copy from the API (after an action, say). */
    put: (event) => {
      events.set(event.id, { ...events.get(event.id), ...event });
      notify({ event: events.get(event.id), message: null });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => stream.stop(),
  };
}
