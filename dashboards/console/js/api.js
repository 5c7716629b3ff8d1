// The gateway's HTTP API with the signed-in token. Errors arrive as {error:{code,message}};
// a request that never reached the gateway becomes GW_NETWORK with a message people can act on.
import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * onUnauthorized(err) after a 401; onReachable(true|false) after each answer or network
 * failure, so the page can show that it is offline and retry what failed.
 */
export function createApi(token, { onUnauthorized, onReachable } = {}) {
  async function call(method, path, body) {
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      onReachable?.(false);
      throw new ApiError(0, 'GW_NETWORK', t('error.network'));
    }
    onReachable?.(true);
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = new ApiError(res.status, data?.error?.code ?? 'GW_HTTP', data?.error?.message ?? `HTTP ${res.status}`);
      if (res.status === 401) onUnauthorized?.(err);
      throw err;
    }
    return data;
  }
  return {
    token,
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    del: (path) => call('DELETE', path),
  };
}

/** Query string from an object, leaving out empty values. */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
