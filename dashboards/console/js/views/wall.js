// The event wall: newest first, live, filtered in the browser over the newest page.
import { clear, fmtTime, fmtValue, h, select, SEVERITIES, severityBadge, stateBadge, STATES, words } from '../dom.js';

// Filters survive moving to an event and back within the tab.
const filters = { site: '', sector: '', severity: '', state: '' };

export function renderWall(main, { api, live }) {
  const fresh = new Set();
  const counts = h('ul', { class: 'counts', 'aria-label': 'Events by state' });
  const tbody = h('tbody');
  const empty = h('p', { class: 'muted', hidden: true }, 'No events match these filters.');
  const filterBar = h('form', { class: 'filters', 'aria-label': 'Filters', onsubmit: (e) => e.preventDefault() });
  let sites = [];

  main.append(
    h('h1', {}, 'Event wall'),
    filterBar,
    counts,
    h(
      'table',
      { class: 'events', 'aria-describedby': 'wall-caption' },
      h('caption', { id: 'wall-caption', class: 'sr-only' }, 'Supervision events, newest first'),
      h('thead', {}, h('tr', {}, ...['Severity', 'Raised', 'Event', 'Site / device', 'Value', 'State'].map((c) => h('th', { scope: 'col' }, c)))),
      tbody,
    ),
    empty,
  );

  function drawFilters() {
    const set = (key) => (ev) => {
      filters[key] = ev.target.value;
      draw();
    };
    const sectors = [...new Set(sites.map((s) => s.sector))].sort();
    clear(filterBar).append(
      select('f-site', 'Site', [['', 'All sites'], ...sites.map((s) => [s.id, s.name])], filters.site, set('site')),
      select('f-sector', 'Sector', [['', 'All sectors'], ...sectors.map((s) => [s, words(s)])], filters.sector, set('sector')),
      select('f-severity', 'Severity', [['', 'All severities'], ...SEVERITIES], filters.severity, set('severity')),
      select('f-state', 'State', [['', 'All states'], ...STATES], filters.state, set('state')),
    );
  }

  function draw() {
    const all = live.list();
    const base = all.filter((e) => (!filters.site || e.site === filters.site) && (!filters.sector || e.sector === filters.sector) && (!filters.severity || e.severity === filters.severity));
    const shown = base.filter((e) => !filters.state || e.state === filters.state);
    clear(counts).append(
      ...STATES.map((s) =>
        h('li', { class: `count state-${s}`, dataset: { state: s } }, h('span', { class: 'n' }, String(base.filter((e) => e.state === s).length)), ' ', s),
      ),
    );
    clear(tbody).append(...shown.map(row));
    empty.hidden = shown.length > 0 || !live.loaded;
  }

  function row(e) {
    const cls = [`sev-${e.severity}`, `state-${e.state}`, fresh.has(e.id) ? 'fresh' : '', e.overdue ? 'overdue' : ''].filter(Boolean).join(' ');
    return h(
      'tr',
      { class: cls, dataset: { eventId: e.id, severity: e.severity, state: e.state } },
      h('td', {}, severityBadge(e.severity)),
      h('td', {}, h('time', { datetime: new Date(e.raisedAt).toISOString() }, fmtTime(e.raisedAt))),
      h(
        'td',
        {},
        h('a', { href: `#/events/${e.id}` }, e.title),
        e.overdue ? h('span', { class: 'badge overdue-badge' }, 'overdue') : null,
        e.suppressed ? h('span', { class: 'badge muted-badge', title: 'Raised during maintenance' }, 'suppressed') : null,
        h('div', { class: 'small muted' }, e.message),
      ),
      h('td', {}, h('a', { href: `#/sites/${e.site}` }, e.site), ' / ', e.device, h('div', { class: 'small muted' }, words(e.sector))),
      h('td', { class: 'num' }, fmtValue(e.value), e.threshold !== null && e.threshold !== undefined ? h('span', { class: 'small muted' }, ` (limit ${fmtValue(e.threshold)})`) : null),
      h('td', {}, stateBadge(e.state)),
    );
  }

  const off = live.subscribe(({ event, message }) => {
    if (event && message?.type === 'raised') {
      fresh.add(event.id);
      setTimeout(() => fresh.delete(event.id), 10_000);
    }
    draw();
  });

  drawFilters();
  draw();
  api
    .get('/api/sites')
    .then((body) => {
      sites = body.sites;
      drawFilters();
    })
    .catch(() => {});
  return off;
}
