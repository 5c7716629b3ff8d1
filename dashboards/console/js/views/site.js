// One site: its devices with their latest values (each links to its chart) and open events.
import { qs } from '../api.js';
import { clear, errorBox, fmtAgo, fmtTime, fmtValue, h, severityBadge, stateBadge, words } from '../dom.js';
import { openBySeverity, severityCounts } from './sites.js';

export function renderSite(main, { api, live }, id) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('p', {}, h('a', { href: '#/sites' }, '← Sites')), box);
  let site = null;

  function draw() {
    if (!site) return;
    const open = live.list().filter((e) => e.site === site.id && (e.state === 'open' || e.state === 'acknowledged'));
    clear(box).append(
      h('h1', {}, site.name),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Site id'),
        h('dd', {}, h('code', {}, site.id)),
        h('dt', {}, 'Sector'),
        h('dd', {}, words(site.sector)),
        h('dt', {}, 'Credit code'),
        h('dd', {}, site.creditCode ?? '—'),
        h('dt', {}, 'Open events'),
        h('dd', {}, severityCounts(openBySeverity(live, site.id))),
      ),
      h('h2', {}, 'Devices'),
      h(
        'table',
        { class: 'plain devices' },
        h('thead', {}, h('tr', {}, ...['Device', 'Kind', 'Status', 'Last seen', 'Latest values'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...site.devices.map(deviceRow)),
      ),
      h('h2', {}, 'Open events'),
      open.length
        ? h('ul', { class: 'event-list' }, ...open.map((e) => h('li', {}, severityBadge(e.severity), ' ', h('a', { href: `#/events/${e.id}` }, e.title), ` — ${e.device}, ${fmtTime(e.raisedAt)} `, stateBadge(e.state))))
        : h('p', { class: 'muted' }, 'No open events.'),
    );
  }

  function deviceRow(d) {
    const metrics = Object.entries(d.latest).sort(([a], [b]) => a.localeCompare(b));
    return h(
      'tr',
      { dataset: { device: d.id } },
      h('td', {}, h('code', {}, d.id)),
      h('td', {}, d.kind),
      h('td', {}, h('span', { class: `badge ${d.online ? 'online' : 'offline'}` }, d.online ? 'online' : 'offline')),
      h('td', {}, d.lastSeen ? h('time', { datetime: new Date(d.lastSeen).toISOString(), title: fmtTime(d.lastSeen) }, fmtAgo(d.lastSeen)) : 'never'),
      h(
        'td',
        {},
        metrics.length
          ? h(
              'ul',
              { class: 'latest' },
              ...metrics.map(([m, r]) =>
                h('li', {}, h('a', { href: `#/charts${qs({ site: site.id, device: d.id, metric: m })}` }, m), ` ${fmtValue(r.value)} `, h('span', { class: 'small muted' }, fmtTime(r.ts))),
              ),
            )
          : h('span', { class: 'muted' }, 'no readings yet'),
      ),
    );
  }

  api
    .get('/api/sites')
    .then((body) => {
      site = body.sites.find((s) => s.id === id) ?? null;
      if (!site) clear(box).append(errorBox(`No site ${id}.`));
      else draw();
    })
    .catch((err) => clear(box).append(errorBox(`Could not load the site: ${err.message}`)));
  return live.subscribe(draw);
}
