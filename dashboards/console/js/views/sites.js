// Sites: sector, credit code, devices on and off line, open events by severity, last reading.
import { clear, errorBox, fmtAgo, fmtTime, h, SEVERITIES, severityBadge, words } from '../dom.js';

/** The newest reading time across a site's devices, or null. */
export function lastReading(site) {
  let last = null;
  for (const d of site.devices) for (const r of Object.values(d.latest)) if (last === null || r.ts > last) last = r.ts;
  return last;
}

/** Open (open or acknowledged) events of a site by severity, from the live events. */
export function openBySeverity(live, siteId) {
  const counts = {};
  for (const e of live.list()) if (e.site === siteId && (e.state === 'open' || e.state === 'acknowledged')) counts[e.severity] = (counts[e.severity] ?? 0) + 1;
  return counts;
}

export function severityCounts(counts) {
  const present = SEVERITIES.filter((s) => counts[s]);
  if (present.length === 0) return h('span', { class: 'muted' }, 'none');
  return h('span', { class: 'sev-counts' }, ...present.map((s) => h('span', {}, severityBadge(s), ` ${counts[s]} `)));
}

export function renderSites(main, { api, live }) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('h1', {}, 'Sites'), box);
  let sites = null;

  function draw() {
    if (!sites) return;
    clear(box).append(
      h(
        'table',
        { class: 'plain sites' },
        h('caption', { class: 'sr-only' }, 'Supervised sites'),
        h('thead', {}, h('tr', {}, ...['Site', 'Sector', 'Credit code', 'Devices', 'Online', 'Offline', 'Open events', 'Last reading'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          ...sites.map((s) => {
            const online = s.devices.filter((d) => d.online).length;
            const last = lastReading(s);
            return h(
              'tr',
              { dataset: { site: s.id } },
              h('td', {}, h('a', { href: `#/sites/${s.id}` }, s.name), h('div', { class: 'small muted' }, s.id)),
              h('td', {}, words(s.sector)),
              h('td', {}, s.creditCode ? h('code', {}, s.creditCode) : '—'),
              h('td', { class: 'num' }, String(s.devices.length)),
              h('td', { class: 'num' }, String(online)),
              h('td', { class: `num ${s.devices.length - online ? 'warn' : ''}` }, String(s.devices.length - online)),
              h('td', {}, severityCounts(openBySeverity(live, s.id))),
              h('td', {}, last ? h('time', { datetime: new Date(last).toISOString(), title: fmtTime(last) }, fmtAgo(last)) : 'never'),
            );
          }),
        ),
      ),
    );
  }

  api
    .get('/api/sites')
    .then((body) => {
      sites = body.sites;
      draw();
    })
    .catch((err) => clear(box).append(errorBox(`Could not load the sites: ${err.message}`)));
  return live.subscribe(draw);
}
