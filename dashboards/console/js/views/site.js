// One site: its devices with their latest values (each links to its chart) and open events.
// Live: device state refreshes every few seconds, events patch as they change.
import { qs } from '../api.js';
import { clear, errorBox, fmtTime, h, severityBadge, stateBadge } from '../dom.js';
import { eventTitle, metricLabel, metricValue } from '../format.js';
import { label, t } from '../i18n.js';
import { ago, severityCounts } from './sites.js';

export function renderSite(main, { api, live, sites, failed }, id) {
  const box = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  main.append(h('p', {}, h('a', { href: '#/sites' }, t('site.back'))), box);
  let open = null;
  let gone = false;

  function draw() {
    const site = sites.get(id);
    if (!site || !open) return;
    const cell = (col, ...content) => h('td', { dataset: { label: t(`site.col.${col}`) } }, ...content);
    clear(box).append(
      h('h1', {}, site.name),
      h('p', {}, h('a', { href: `#/sites/${site.id}/poster`, id: 'poster-link' }, t('poster.title'))),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, t('site.id')),
        h('dd', {}, h('code', {}, site.id)),
        h('dt', {}, t('sites.col.sector')),
        h('dd', {}, label('sector', site.sector)),
        h('dt', {}, t('sites.col.credit')),
        h('dd', {}, site.creditCode ?? '—'),
        h('dt', {}, t('site.openEvents')),
        h('dd', {}, severityCounts(open.summary.bySite[site.id])),
      ),
      h('h2', {}, t('site.devices')),
      h(
        'table',
        { class: 'plain devices cards' },
        h('thead', {}, h('tr', {}, ...['device', 'kind', 'status', 'lastSeen', 'latest'].map((c) => h('th', { scope: 'col' }, t(`site.col.${c}`))))),
        h(
          'tbody',
          {},
          ...site.devices.map((d) => {
            const metrics = Object.entries(d.latest).sort(([a], [b]) => a.localeCompare(b));
            return h(
              'tr',
              { dataset: { device: d.id } },
              cell('device', h('code', {}, d.id), ' ', h('a', { href: `#/devices/${d.id}/commands`, class: 'small' }, t('site.commands'))),
              cell('kind', label('kind', d.kind)),
              cell('status', h('span', { class: `badge ${d.online ? 'online' : 'offline'}` }, t(d.online ? 'site.online' : 'site.offline'))),
              cell('lastSeen', ago(d.lastSeen)),
              cell(
                'latest',
                metrics.length
                  ? h(
                      'ul',
                      { class: 'latest' },
                      ...metrics.map(([m, r]) =>
                        h('li', {}, h('a', { href: `#/charts${qs({ site: site.id, device: d.id, metric: m })}` }, metricLabel(m)), ` ${metricValue(m, r.value)} `, h('span', { class: 'small muted' }, fmtTime(r.ts))),
                      ),
                    )
                  : h('span', { class: 'muted' }, d.lastSeen ? '—' : t('site.noReadings')),
              ),
            );
          }),
        ),
      ),
      h('h2', {}, t('site.openEvents')),
      open.events.length
        ? h(
            'ul',
            { class: 'event-list' },
            ...open.events.map((e) => h('li', {}, severityBadge(e.severity), ' ', h('a', { href: `#/events/${e.id}` }, eventTitle(e)), ` — ${e.device}, ${fmtTime(e.raisedAt)} `, stateBadge(e.state))),
          )
        : h('p', { class: 'muted' }, t('site.noOpen')),
    );
  }

  async function loadEvents() {
    try {
      open = await api.get(`/api/events${qs({ site: id, state: 'active', limit: 200 })}`);
      if (!gone) draw();
    } catch (err) {
      failed();
      if (!open) clear(box).append(errorBox(t('site.loadFailed', { message: err.message })));
    }
  }

  sites
    .refresh()
    .then(() => {
      if (gone) return;
      if (!sites.get(id)) clear(box).append(errorBox(t('site.noSite', { id })));
      else draw();
    })
    .catch((err) => (failed(), clear(box).append(errorBox(t('site.loadFailed', { message: err.message })))));
  loadEvents();
  const offSites = sites.subscribe(draw);
  let pending = null;
  const offLive = live.subscribe(({ event }) => {
    if (event?.site !== id || pending) return;
    pending = setTimeout(() => ((pending = null), loadEvents()), 300);
  });
  return () => {
    gone = true;
    clearTimeout(pending);
    offSites();
    offLive();
  };
}
