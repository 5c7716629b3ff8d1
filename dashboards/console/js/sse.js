// Server-Sent Events over fetch(): EventSource cannot send an Authorization header, and the
// token must not go in the URL. The parser follows the WHATWG HTML "event stream
// interpretation" (fields data, event, id, retry; ':' starts a comment; a blank line
// dispatches), and a reconnect sends Last-Event-ID so the server replays what was missed.

/** A push parser: feed it text as it arrives; it calls onEvent({ type, data, id }) per message. */
export function createSseParser(onEvent, onRetry = () => {}, lastEventId = '') {
  let buffer = '';
  let data = [];
  let type = '';
  let idBuffer = lastEventId;
  const state = { lastEventId };

  function line(l) {
    if (l === '') {
      // Dispatch: the id applies even to a block with no data.
      state.lastEventId = idBuffer;
      if (data.length > 0) onEvent({ type: type || 'message', data: data.join('\n'), id: idBuffer });
      data = [];
      type = '';
      return;
    }
    if (l.startsWith(':')) return;
    const colon = l.indexOf(':');
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
    else if (field === 'id' && !value.includes('\0')) idBuffer = value;
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
  }

  return {
    state,
    push(text) {
      buffer += text;
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buffer);
        // A CR at the very end may be the first half of a CRLF split across chunks.
        if (!m || (m[0] === '\r' && m.index === buffer.length - 1)) return;
        line(buffer.slice(0, m.index));
        buffer = buffer.slice(m.index + m[0].length);
      }
    },
  };
}

/**
 * Keeps a stream open until stop(): reconnects after the server's retry delay with the last
 * event id (at first `lastEventId`, if given). onStatus gets 'connecting' | 'live' | 'reconnecting' |
 * 'unauthorized'.
 */
export function openEventStream({ url, token, onEvent, onStatus = () => {}, lastEventId: resumeFrom = '' }) {
  let retryMs = 2000;
  let lastEventId = resumeFrom;
  let stopped = false;
  let controller = null;
  let wake = null;

  async function once() {
    controller = new AbortController();
    const headers = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const res = await fetch(url, { headers, cache: 'no-store', signal: controller.signal });
    if (res.status === 401) return 'unauthorized';
    // An id the server no longer takes (another gateway, a changed scope, or a numeric id a
    // site-scoped user is not given): start again from now rather than retry it for ever.
    if (res.status === 400 && lastEventId) {
      lastEventId = '';
      throw new Error('stream refused the last event id');
    }
    if (!res.ok || !res.body) throw new Error(`stream answered HTTP ${res.status}`);
    onStatus('live');
    const parser = createSseParser(onEvent, (ms) => (retryMs = ms), lastEventId);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
        lastEventId = parser.state.lastEventId;
      }
    } finally {
      lastEventId = parser.state.lastEventId;
    }
    return 'ended';
  }

  (async () => {
    onStatus('connecting');
    while (!stopped) {
      try {
        if ((await once()) === 'unauthorized') {
          onStatus('unauthorized');
          return;
        }
      } catch {
        // Network error or abort: fall through to the retry below.
      }
      if (stopped) return;
      onStatus('reconnecting');
      await new Promise((r) => {
        wake = r;
        setTimeout(r, retryMs);
      });
    }
  })();

  return {
    get lastEventId() {
      return lastEventId;
    },
    stop() {
      stopped = true;
      controller?.abort();
      wake?.();
    },
  };
}
