// One event: what happened, the readings around it with the rule's levels, the rule and its
// legal basis, camera evidence, the actions the user may take, and the audit trail.
import { qs } from '../api.js';
import { clear, errorBox, fmtTime, fmtValue, h, severityBadge, stateBadge, words } from '../dom.js';
import { describeLevel } from '../levels.js';

const ROLES = ['viewer', 'operator', 'supervisor', 'admin'];
const DISPOSITIONS = ['confirmed_violation', 'false_alarm', 'device_fault', 'rectified', 'duplicate', 'other'];
const roleAtLeast = (role, need) => ROLES.indexOf(role) >= ROLES.indexOf(need);

/** The actions a role may take on an event in a state, as the API allows them. */
export function allowedActions(role, state) {
  const ops = roleAtLeast(role, 'operator');
  const sup = roleAtLeast(role, 'supervisor');
  return {
    acknowledge: ops && state === 'open',
    comment: ops,
    resolve: sup && (state === 'open' || state === 'acknowledged'),
    close: sup && state === 'resolved',
  };
}

const BEFORE_MS = 30 * 60_000;
const AFTER_MS = 10 * 60_000;

export function renderEvent(main, { api, me, live }, id) {
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('p', {}, h('a', { href: '#/events' }, '← Event wall')), status, body);
  let removeChart = null;
  let gone = false;
  let note = '';
  let loads = 0;

  async function load() {
    const mine = ++loads;
    let event;
    let audit;
    try {
      [event, audit] = await Promise.all([api.get(`/api/events/${encodeURIComponent(id)}`), api.get(`/api/audit${qs({ event: id })}`)]);
    } catch (err) {
      clear(body).append(errorBox(err.status === 404 ? `No event ${id}.` : `Could not load the event: ${err.message}`));
      return;
    }
    // A newer load (an action and its stream echo overlap) draws instead.
    if (gone || mine !== loads) return;
    removeChart?.();
    removeChart = null;
    const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': `Readings of ${event.metric ?? 'the device'} around the event` });
    const chartCaption = h('p', { class: 'small muted' });
    const parts = [
      header(event),
      actions(event),
      event.metric ? h('section', { 'aria-labelledby': 'h-readings' }, h('h2', { id: 'h-readings' }, `Readings: ${event.metric} on ${event.device}`), chartBox, chartCaption) : null,
      ruleSection(event.ruleInfo),
      event.evidence.length ? evidenceSection(event.evidence) : null,
      timeline(event.transitions),
      auditSection(audit.records),
    ];
    clear(body).append(...parts.filter(Boolean));
    if (event.metric) chart(event, chartBox, chartCaption);
  }

  async function chart(event, box, caption) {
    const end = event.closedAt ?? event.resolvedAt ?? Date.now();
    const since = event.raisedAt - BEFORE_MS;
    const until = Math.min(Math.max(end, event.raisedAt) + AFTER_MS, Date.now() + 60_000);
    try {
      const [{ drawChart, summarise }, r] = await Promise.all([import('../plot.js'), api.get(`/api/readings${qs({ site: event.site, device: event.device, metric: event.metric, since, until })}`)]);
      if (gone || !box.isConnected) return;
      const series = r.series.map((s) => ({ label: s.device, points: s.points }));
      if (series.length === 0) series.push({ label: event.device, points: [] });
      removeChart = drawChart(box, { series, levels: event.ruleInfo.levels ?? [], marker: event.raisedAt });
      caption.textContent = `${summarise(series)} The dashed lines are the rule's levels; the dotted red line marks when the event was raised.`;
    } catch (err) {
      caption.textContent = err.code === 'GW_HISTORY_OFF' ? 'No chart: the gateway keeps no reading history (InfluxDB is not configured).' : `No chart: ${err.message}`;
    }
  }

  function actions(event) {
    const can = allowedActions(me.role, event.state);
    if (!Object.values(can).some(Boolean)) return h('section', { class: 'actions' }, h('p', { class: 'muted' }, `Your role (${me.role}) cannot change this ${event.state} event.`));
    const noteField = h('textarea', { id: 'note', name: 'note', rows: 3, maxlength: 4000 });
    noteField.value = note;
    noteField.addEventListener('input', () => (note = noteField.value));
    const problem = h('div');
    const disposition = h('select', { id: 'disposition', name: 'disposition' }, ...DISPOSITIONS.map((d) => h('option', { value: d }, words(d))));

    const run = (label, path, payload, needsNote) => async () => {
      clear(problem);
      const text = noteField.value.trim();
      if (needsNote && !text) {
        problem.append(errorBox(`${label} needs a note.`));
        noteField.focus();
        return;
      }
      for (const b of form.querySelectorAll('button')) b.disabled = true;
      try {
        const res = await api.post(`/api/events/${encodeURIComponent(event.id)}/${path}`, payload(text));
        note = '';
        live.put(res.event);
        status.textContent = `${label} done.`;
        await load();
      } catch (err) {
        for (const b of form.querySelectorAll('button')) b.disabled = false;
        problem.append(errorBox(`${label} failed: ${err.message}`));
      }
    };
    const button = (label, cls, onclick) => h('button', { type: 'button', class: cls, onclick }, label);
    const form = h(
      'form',
      { class: 'actions card', 'aria-labelledby': 'h-actions', onsubmit: (e) => e.preventDefault() },
      h('h2', { id: 'h-actions' }, 'Actions'),
      h('div', { class: 'field' }, h('label', { for: 'note' }, 'Note'), noteField),
      can.close ? h('div', { class: 'field' }, h('label', { for: 'disposition' }, 'Disposition'), disposition) : null,
      h(
        'div',
        { class: 'buttons' },
        can.acknowledge ? button('Acknowledge', 'primary', run('Acknowledge', 'acknowledge', (t) => (t ? { note: t } : {}), false)) : null,
        can.resolve ? button('Resolve', 'primary', run('Resolve', 'resolve', (t) => ({ note: t }), true)) : null,
        can.close ? button('Close', 'primary', run('Close', 'close', (t) => ({ disposition: disposition.value, note: t }), true)) : null,
        can.comment ? button('Comment', '', run('Comment', 'comments', (t) => ({ note: t }), true)) : null,
      ),
      problem,
    );
    return form;
  }

  // Another user's change, or the rules', shows up here as it happens.
  const off = live.subscribe(({ event, message }) => {
    if (message && event?.id === id) load();
  });
  load();
  return () => {
    gone = true;
    off();
    removeChart?.();
  };
}

function header(e) {
  const facts = [
    ['Site', h('a', { href: `#/sites/${e.site}` }, e.site)],
    ['Device', e.device],
    ['Sector', words(e.sector)],
    e.metric ? ['Metric', e.metric] : null,
    e.detectionType ? ['Detection', `${words(e.detectionType)}${e.camera ? ` (camera ${e.camera})` : ''}`] : null,
    ['Value', fmtValue(e.value)],
    ['Threshold', fmtValue(e.threshold)],
    ['Raised', fmtTime(e.raisedAt)],
    ['Acknowledged', fmtTime(e.acknowledgedAt)],
    ['Resolved', fmtTime(e.resolvedAt)],
    ['Closed', fmtTime(e.closedAt)],
    e.disposition ? ['Disposition', words(e.disposition)] : null,
  ].filter(Boolean);
  return h(
    'section',
    { class: `event-head sev-${e.severity}` },
    h('h1', {}, e.title),
    h(
      'p',
      { class: 'badges' },
      severityBadge(e.severity),
      ' ',
      h('span', { id: 'event-state' }, stateBadge(e.state)),
      e.overdue ? h('span', { class: 'badge overdue-badge' }, 'overdue') : null,
      e.suppressed ? h('span', { class: 'badge muted-badge' }, 'suppressed (maintenance)') : null,
    ),
    h('p', { class: 'message' }, e.message),
    h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
  );
}

function ruleSection(r) {
  return h(
    'section',
    { 'aria-labelledby': 'h-rule', class: 'card' },
    h('h2', { id: 'h-rule' }, 'Rule and catalogue item'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Rule'),
      h('dd', {}, h('code', {}, r.id), ` version ${r.version}`),
      h('dt', {}, 'Catalogue item'),
      h('dd', {}, `${r.item}${r.itemName ? ` — ${r.itemName}` : ''}`),
      h('dt', {}, 'Legal basis'),
      h('dd', { class: 'basis' }, r.basis ?? '—'),
      h('dt', {}, 'Department'),
      h('dd', {}, r.department ?? '—'),
      r.levels ? [h('dt', {}, 'Levels'), h('dd', {}, h('ul', { class: 'levels' }, ...r.levels.map((l) => h('li', {}, severityBadge(l.severity), ' ', describeLevel(l)))))] : null,
    ),
  );
}

function evidenceSection(evidence) {
  const safe = (uri) => /^https?:\/\//i.test(uri ?? '');
  return h(
    'section',
    { 'aria-labelledby': 'h-evidence' },
    h('h2', { id: 'h-evidence' }, 'Detection evidence'),
    h(
      'table',
      { class: 'plain' },
      h('thead', {}, h('tr', {}, ...['Time', 'Confidence', 'Box (x, y, w, h)', 'Snapshot'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        ...evidence.map((ev) =>
          h(
            'tr',
            {},
            h('td', {}, fmtTime(ev.ts)),
            h('td', { class: 'num' }, `${Math.round(ev.confidence * 100)} %`),
            h('td', {}, ev.bbox ? ev.bbox.map(fmtValue).join(', ') : '—'),
            h('td', {}, safe(ev.snapshot) ? h('a', { href: ev.snapshot, rel: 'noopener noreferrer', target: '_blank' }, 'open snapshot') : (ev.snapshot ?? '—')),
          ),
        ),
      ),
    ),
  );
}

function timeline(transitions) {
  return h(
    'section',
    { 'aria-labelledby': 'h-timeline' },
    h('h2', { id: 'h-timeline' }, 'Timeline'),
    h(
      'ol',
      { class: 'timeline', id: 'timeline' },
      ...transitions.map((t) =>
        h(
          'li',
          { class: `t-${t.type}`, dataset: { type: t.type } },
          h('span', { class: 't-type' }, t.type),
          ' ',
          h('time', { datetime: new Date(t.at).toISOString() }, fmtTime(t.at)),
          ' by ',
          h('strong', {}, t.actor),
          t.disposition ? ` — disposition ${words(t.disposition)}` : null,
          t.note ? h('div', { class: 'note' }, t.note) : null,
        ),
      ),
    ),
  );
}

function auditSection(records) {
  return h(
    'section',
    { 'aria-labelledby': 'h-audit' },
    h('h2', { id: 'h-audit' }, 'Audit trail'),
    h(
      'table',
      { class: 'plain audit', id: 'audit' },
      h('thead', {}, h('tr', {}, ...['#', 'Time', 'Change', 'By', 'Note', 'Hash'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        ...records.map((r) =>
          h(
            'tr',
            { dataset: { type: r.type } },
            h('td', { class: 'num' }, String(r.seq)),
            h('td', {}, fmtTime(r.at)),
            h('td', {}, r.type),
            h('td', {}, r.actor),
            h('td', {}, r.note ?? ''),
            h('td', {}, h('code', { title: r.hash }, r.hash.slice(0, 12))),
          ),
        ),
      ),
    ),
  );
}
