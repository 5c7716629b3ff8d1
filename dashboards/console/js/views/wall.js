// The event wall. The server pages, filters, orders and counts (GET /api/events and
// /api/events/summary), so an event is never hidden by what the browser has loaded; live
// transitions patch single rows, and the counts are fetched again at most once a second.
import { qs } from '../api.js';
import { clear, errorBox, fmtTime, h, select, SEVERITIES, severityBadge, siteName, stateBadge, STATES } from '../dom.js';
import { eventMessage, eventTitle, isFactorMetric, metricLabel, metricValue } from '../format.js';
import { fmtAgo, fmtNumber, label, t, timeZone } from '../i18n.js';

const PAGE = 100;
const COUNTS_EVERY_MS = 1000;
const RANK = { critical: 0, major: 1, warning: 2, info: 3 };
const COLS = ['severity', 'raised', 'event', 'site', 'value', 'state'];

// Filters survive moving to an event and back within the tab.
const filters = { site: '', sector: '', severity: '', state: 'active', overdue: '', order: 'priority', group: false };

/** The server's priority order (gateway/src/events/query.ts), to place a live event among loaded rows. */
function sortKey(e, order) {
  if (order === 'newest') return [-e.raisedAt, invert(e.id)];
  const active = e.state === 'open' || e.state === 'acknowledged';
  return [active ? 0 : 1, e.state === 'open' && e.severity === 'critical' ? 0 : 1, RANK[e.severity] ?? 4, e.state === 'open' ? 0 : 1, e.raisedAt, e.id];
}
// Newest first breaks ties by id descending: compare inverted ids ascending.
const invert = (id) => [...id].map((c) => String.fromCharCode(0xffff - c.charCodeAt(0))).join('');
function before(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** Whether an event matches the wall's filters (for live events; the server decides for pages). */
function matches(e) {
  if (filters.site && e.site !== filters.site) return false;
  if (filters.sector && e.sector !== filters.sector) return false;
  if (filters.severity && e.severity !== filters.severity) return false;
  if (filters.state === 'active' && e.state !== 'open' && e.state !== 'acknowledged') return false;
  if (filters.state && filters.state !== 'active' && e.state !== filters.state) return false;
  if (filters.overdue === 'true' && !e.overdue) return false;
  return true;
}

const filterParams = (withState) => ({
  site: filters.site,
  sector: filters.sector,
  severity: filters.severity,
  ...(withState ? { state: filters.state, overdue: filters.overdue } : {}),
});

export function renderWall(main, { api, live, sites, failed }) {
  const rows = new Map(); // id -> { event, tr, key }
  const recordOf = new WeakMap(); // tr -> its record, for the binary search
  // New rows are marked for a while; one sweep a second unmarks them (no animation: during a
  // burst hundreds of animated rows would repaint every frame).
  const freshRows = new Map();
  const markFresh = (tr) => (tr.classList.add('fresh'), freshRows.set(tr, Date.now()));
  const sweep = setInterval(() => {
    for (const [tr, at] of freshRows) if (Date.now() - at > 10_000) (tr.classList.remove('fresh'), freshRows.delete(tr));
  }, 1000);
  const groups = new Map(); // site -> tbody, when grouped
  let cursor = null;
  let total = 0;
  let gone = false;
  let generation = 0;

  const attention = h('section', { class: 'attention', 'aria-labelledby': 'h-attention' });
  const counts = h('ul', { class: 'counts', 'aria-label': t('wall.byState') });
  const filterBar = h('form', { class: 'filters', 'aria-label': t('wall.filters'), onsubmit: (e) => e.preventDefault() });
  const table = h(
    'table',
    // Explicit roles: the rows are grids (wide screens) or cards (phones), and a table whose
    // display is changed may lose its table semantics in some browsers.
    { class: 'events cards', role: 'table', 'aria-describedby': 'wall-caption' },
    h('caption', { id: 'wall-caption', class: 'sr-only' }, t('wall.caption')),
    // Fixed column widths: inserting a row never re-measures the whole table.
    h('colgroup', {}, ...COLS.map((c) => h('col', { class: `col-${c}` }))),
    h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, ...COLS.map((c) => h('th', { scope: 'col', role: 'columnheader' }, t(`wall.col.${c}`))))),
  );
  const flat = h('tbody', { role: 'rowgroup' });
  const status = h('p', { class: 'shown muted', role: 'status', id: 'wall-shown' });
  const more = h('button', { type: 'button', class: 'more', hidden: true, onclick: () => loadPage(false) }, t('wall.more'));
  const empty = h('p', { class: 'muted', hidden: true }, t('wall.empty'));
  const problem = h('div');
  main.append(h('h1', {}, t('wall.title')), attention, filterBar, counts, problem, table, empty, h('div', { class: 'pager' }, status, more), h('p', { class: 'small muted' }, t('charts.zone', { zone: timeZone() })));

  function drawFilters() {
    const set = (key) => (ev) => {
      filters[key] = ev.target.type === 'checkbox' ? ev.target.checked : ev.target.value;
      if (key !== 'group') loadPage(true);
      else redrawRows();
    };
    const all = sites.list();
    const sectors = [...new Set(all.map((s) => s.sector))].sort();
    clear(filterBar).append(
      select('f-site', t('wall.site'), [['', t('wall.allSites')], ...all.map((s) => [s.id, s.name])], filters.site, set('site')),
      select('f-sector', t('wall.sector'), [['', t('wall.allSectors')], ...sectors.map((s) => [s, label('sector', s)])], filters.sector, set('sector')),
      select('f-severity', t('wall.severity'), [['', t('wall.allSeverities')], ...SEVERITIES.map((s) => [s, label('severity', s)])], filters.severity, set('severity')),
      select('f-state', t('wall.state'), [['active', t('wall.activeStates')], ['', t('wall.allStates')], ...STATES.map((s) => [s, label('state', s)])], filters.state, set('state')),
      select('f-overdue', t('wall.overdue'), [['', '—'], ['true', t('badge.overdue')]], filters.overdue, set('overdue')),
      select('f-order', t('wall.order'), [['priority', t('wall.order.priority')], ['newest', t('wall.order.newest')]], filters.order, set('order')),
      h('div', { class: 'field check' }, h('input', { type: 'checkbox', id: 'f-group', checked: filters.group, onchange: set('group') }), h('label', { for: 'f-group' }, t('wall.group'))),
    );
  }

  // Counts: the strip by state ignores the state filter (so it says what the other states hold).
  async function loadCounts() {
    const s = await api.get(`/api/events/summary${qs(filterParams(false))}`);
    if (gone) return;
    clear(counts).append(
      ...STATES.map((st) => h('li', { class: `count state-${st}`, dataset: { state: st } }, h('span', { class: 'n' }, fmtNumber(s.byState[st])), ' ', label('state', st))),
    );
    const item = (kind, sev, n) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: `att sev-${sev} ${n ? '' : 'zero'}`,
            dataset: { kind, severity: sev },
            onclick: () => {
              Object.assign(filters, { severity: sev, state: 'open', overdue: kind === 'overdue' ? 'true' : '' });
              drawFilters();
              loadPage(true);
            },
          },
          severityBadge(sev),
          h('span', { class: 'n' }, fmtNumber(n)),
        ),
      );
    clear(attention).append(
      h('h2', { id: 'h-attention', class: 'sr-only' }, t('wall.attention')),
      ...['unacked', 'overdue'].map((kind) =>
        h(
          'div',
          { class: `att-row ${kind}` },
          h('span', { class: 'att-label' }, t(`wall.${kind}`)),
          h('ul', {}, ...SEVERITIES.map((sev) => item(kind, sev, kind === 'unacked' ? s.unacknowledged[sev] : s.overdue[sev]))),
        ),
      ),
    );
  }

  let countsTimer = null;
  let countsAgain = false;
  function scheduleCounts() {
    if (countsTimer) return void (countsAgain = true);
    countsTimer = setTimeout(async () => {
      try {
        await Promise.all([loadCounts(), loadTotal()]);
      } catch {
        // Offline: the banner says so; the next change or reconnection counts again.
      }
      countsTimer = null;
      if (countsAgain && !gone) (countsAgain = false), scheduleCounts();
    }, COUNTS_EVERY_MS);
  }

  async function loadTotal() {
    const s = await api.get(`/api/events/summary${qs(filterParams(true))}`);
    if (gone) return;
    total = s.total;
    drawStatus();
  }

  function drawStatus() {
    status.textContent = t('wall.shown', { shown: rows.size, total });
    more.hidden = !cursor;
    empty.hidden = rows.size > 0;
  }

  async function loadPage(first) {
    const mine = first ? ++generation : generation;
    clear(problem);
    let body;
    try {
      body = await api.get(`/api/events${qs({ ...filterParams(true), order: filters.order, limit: PAGE, cursor: first ? '' : cursor })}`);
    } catch (err) {
      failed();
      problem.append(errorBox(err.message));
      return;
    }
    if (gone || mine !== generation) return;
    live.seen(body.events);
    if (first) {
      rows.clear();
      loadCounts().catch(() => {});
    }
    for (const e of body.events) rows.set(e.id, { event: live.get(e.id) ?? e, tr: null });
    cursor = body.nextCursor;
    total = body.total;
    redrawRows();
  }

  /** Draws every loaded row once: after a page load, a regrouping or a language switch. */
  function redrawRows() {
    for (const tb of [...table.tBodies]) tb.remove();
    groups.clear();
    clear(flat);
    if (!filters.group) table.append(flat);
    const ordered = [...rows.values()].sort((a, b) => (before(sortKey(a.event, filters.order), sortKey(b.event, filters.order)) ? -1 : 1));
    for (const r of ordered) {
      r.tr = row(r.event);
      r.key = sortKey(r.event, filters.order);
      recordOf.set(r.tr, r);
      bodyFor(r.event).append(r.tr);
    }
    drawStatus();
  }

  function bodyFor(e) {
    if (!filters.group) return flat;
    let tb = groups.get(e.site);
    if (!tb) {
      tb = h('tbody', { class: 'group', role: 'rowgroup', dataset: { site: e.site } }, h('tr', { class: 'group-head', role: 'row' }, h('th', { colspan: COLS.length, scope: 'rowgroup', role: 'rowheader' }, siteName(sites, e.site))));
      groups.set(e.site, tb);
      table.append(tb);
    }
    return tb;
  }

  function row(e) {
    const cls = [`sev-${e.severity}`, `state-${e.state}`, e.overdue ? 'overdue' : ''].filter(Boolean).join(' ');
    const cell = (col, ...content) => h('td', { role: 'cell', dataset: { label: t(`wall.col.${col}`) }, class: `c-${col}` }, ...content);
    const threshold = e.threshold !== null && e.threshold !== undefined ? h('span', { class: 'small muted' }, ` (${t('wall.limit', { value: metricValue(e.metric, e.threshold) })})`) : null;
    return h(
      'tr',
      { class: cls, role: 'row', dataset: { eventId: e.id, severity: e.severity, state: e.state } },
      cell('severity', severityBadge(e.severity)),
      cell(
        'raised',
        h('time', { datetime: new Date(e.raisedAt).toISOString() }, fmtTime(e.raisedAt)),
        e.late ? h('div', { class: 'small muted late-note' }, t('wall.late', { raised: fmtAgo(e.raisedAt), received: fmtAgo(e.detectedAt) })) : null,
      ),
      cell(
        'event',
        h('a', { href: `#/events/${e.id}` }, eventTitle(e)),
        e.overdue ? h('span', { class: 'badge overdue-badge' }, t('badge.overdue')) : null,
        e.late ? h('span', { class: 'badge late-badge', title: t('badge.lateTitle') }, t('badge.late')) : null,
        e.suppressed ? h('span', { class: 'badge muted-badge', title: t('badge.suppressedTitle') }, t('badge.suppressed')) : null,
        h('div', { class: 'small muted' }, eventMessage(e)),
      ),
      cell('site', siteName(sites, e.site), h('span', { class: 'device' }, ` / ${e.device}`), h('div', { class: 'small muted' }, label('sector', e.sector))),
      // An HJ 212 factor's reading says which factor it is: its code alone (w01018) means nothing to a reader.
      cell('value', metricValue(e.metric, e.value), threshold, isFactorMetric(e.metric) ? h('div', { class: 'small muted factor' }, metricLabel(e.metric)) : null),
      cell('state', stateBadge(e.state)),
    );
  }

  /** One transition: patch, move, drop or insert one row; never redraw the table. */
  function patch(e, fresh) {
    const r = rows.get(e.id);
    if (r?.tr) r.tr.remove();
    if (!matches(e)) {
      if (r) rows.delete(e.id);
      drawStatus();
      return;
    }
    const key = sortKey(e, filters.order);
    const container = bodyFor(e);
    // The rows are in sort order: a binary search finds the first one after this event.
    const list = container.rows;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = recordOf.get(list[mid]);
      if (!other || !before(key, other.key)) lo = mid + 1;
      else hi = mid;
    }
    const next = list[lo] ?? null;
    // Past the last loaded row with more pages to come: it will arrive with its page.
    if (!next && cursor && !r) return drawStatus();
    const tr = row(e);
    if (fresh) markFresh(tr);
    const record = { event: e, tr, key };
    rows.set(e.id, record);
    recordOf.set(tr, record);
    container.insertBefore(tr, next);
    drawStatus();
  }

  const off = live.subscribe(({ event, message }) => {
    if (!event) return;
    patch(event, message?.type === 'raised');
    scheduleCounts();
  });

  drawFilters();
  loadPage(true);
  sites.ready.then(() => {
    if (gone) return;
    drawFilters();
    redrawRows();
  });
  return () => {
    gone = true;
    clearTimeout(countsTimer);
    clearInterval(sweep);
    off();
  };
}
