// Sites: sector, credit code, devices on and off line, open events by severity, last reading.
// Live: the directory refreshes every few seconds while the page is open.
import { clear, errorBox, fmtAgo, fmtTime, h, SEVERITIES, severityBadge } from '../dom.js';
import { fmtNumber, label, t } from '../i18n.js';

/** The newest reading (or, for cameras, message) time across a site's devices, or null. */
export function lastReading(site) {
  let last = null;
  for (const d of site.devices) {
    for (const r of Object.values(d.latest)) if (last === null || r.ts > last) last = r.ts;
    if (d.lastSeen !== null && (last === null || d.lastSeen > last)) last = d.lastSeen;
  }
  return last;
}

export function severityCounts(counts) {
  const present = SEVERITIES.filter((s) => counts?.[s]);
  if (present.length === 0) return h('span', { class: 'muted' }, t('sites.none'));
  return h('span', { class: 'sev-counts' }, ...present.map((s) => h('span', {}, severityBadge(s), ` ${fmtNumber(counts[s])} `)));
}

export const ago = (ms) => (ms ? h('time', { datetime: new Date(ms).toISOString(), title: fmtTime(ms) }, fmtAgo(ms)) : t('time.never'));

export function renderSites(main, { api, sites, failed }) {
  const box = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  main.append(h('h1', {}, t('sites.title')), box);
  // Open events by site and severity, counted on the server (never from a loaded page).
  let open = null;
  const cols = ['site', 'sector', 'credit', 'devices', 'online', 'offline', 'open', 'last'];

  function draw() {
    const list = sites.list();
    if (!list.length || !open) return;
    const cell = (col, attrs, ...content) => h('td', { ...attrs, dataset: { label: t(`sites.col.${col}`) } }, ...content);
    clear(box).append(
      h(
        'table',
        { class: 'plain sites cards' },
        h('caption', { class: 'sr-only' }, t('sites.caption')),
        h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, t(`sites.col.${c}`))))),
        h(
          'tbody',
          {},
          ...list.map((s) => {
            const online = s.devices.filter((d) => d.online).length;
            return h(
              'tr',
              { dataset: { site: s.id } },
              cell('site', { class: 'title' }, h('a', { href: `#/sites/${s.id}` }, s.name), h('div', { class: 'small muted' }, s.id)),
              cell('sector', {}, label('sector', s.sector)),
              cell('credit', {}, s.creditCode ? h('code', {}, s.creditCode) : '—'),
              cell('devices', { class: 'num' }, fmtNumber(s.devices.length)),
              cell('online', { class: 'num' }, fmtNumber(online)),
              cell('offline', { class: `num ${s.devices.length - online ? 'warn' : ''}` }, fmtNumber(s.devices.length - online)),
              cell('open', {}, severityCounts(open[s.id])),
              cell('last', {}, ago(lastReading(s))),
            );
          }),
        ),
      ),
    );
  }

  async function loadCounts() {
    try {
      const body = await api.get('/api/events/summary?state=active');
      open = body.bySite ?? {};
      draw();
    } catch {
      failed();
    }
  }

  sites
    .refresh()
    .then(draw)
    .catch((err) => (failed(), clear(box).append(errorBox(t('sites.loadFailed', { message: err.message })))));
  loadCounts();
  const off = sites.subscribe(() => (draw(), loadCounts()));
  return off;
}
