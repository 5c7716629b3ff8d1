// The sites the user may see, by id, so every page can show a site's name (with the id as
// secondary text) and its devices' latest state. Refreshed while a page needs it live.

const REFRESH_MS = 5_000;

export function createSiteDirectory(api) {
  let byId = new Map();
  const listeners = new Set();
  let timer = null;
  let users = 0;
  let inflight = null;

  function refresh() {
    inflight ??= api
      .get('/api/sites')
      .then((body) => {
        byId = new Map(body.sites.map((s) => [s.id, s]));
        for (const l of listeners) l();
        return body.sites;
      })
      .finally(() => (inflight = null));
    return inflight;
  }
  const ready = refresh().catch(() => []);

  return {
    ready,
    refresh,
    get: (id) => byId.get(id),
    list: () => [...byId.values()],
    /** Calls `listener` after every refresh; while anyone listens, refreshes every few seconds. */
    subscribe(listener) {
      listeners.add(listener);
      users++;
      timer ??= setInterval(() => refresh().catch(() => {}), REFRESH_MS);
      return () => {
        listeners.delete(listener);
        if (--users === 0) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
    stop() {
      clearInterval(timer);
      timer = null;
      listeners.clear();
    },
  };
}
