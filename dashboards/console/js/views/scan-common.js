// Shared by the poster and the inspector's phone views (issue 17).

/** The scan views' stylesheet (print CSS for the A4 poster, the phone workflow), added once. */
export function useScanStyles() {
  if (document.querySelector('link[data-scan]')) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = '/console/scan.css';
  link.dataset.scan = '';
  document.head.append(link);
}

/** An SVG from the API with the token, as a DOM node (img-src cannot carry the token). */
export async function fetchSvg(api, path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${api.token}` }, cache: 'no-store' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const doc = new DOMParser().parseFromString(await res.text(), 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName !== 'svg') throw new Error('not an SVG');
  svg.setAttribute('role', 'img');
  return document.importNode(svg, true);
}

/** Raw bytes to the API (a phone picture), with the token; the JSON answer or an Error with .status. */
export async function postBytes(api, path, file) {
  const res = await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': file.type || 'application/octet-stream' }, body: file });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error(data?.error?.message ?? `HTTP ${res.status}`), { status: res.status });
  return data;
}
