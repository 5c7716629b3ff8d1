// One event: what happened, the readings around it with the rule's levels, the rule and its
// legal basis, camera evidence, the actions the user may take, and the audit trail.
import { qs } from '../api.js';
import { clear, errorBox, fmtTime, h, severityBadge, siteName, stateBadge } from '../dom.js';
import { eventMessage, eventTitle, metricLabel, metricValue, unitOf } from '../format.js';
import { fmtAgo, fmtNumber, label, locale, t, timeZone } from '../i18n.js';
import { describeLevel } from '../levels.js';
import { complaintSection } from './complaint.js';
import { evidencePictures } from './evidence.js';

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

export function renderEvent(main, { api, me, live, sites, failed }, id) {
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const body = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  main.append(h('p', {}, h('a', { href: '#/events' }, t('event.back'))), status, body);
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
      if (err.status !== 404) failed();
      clear(body).append(errorBox(err.status === 404 ? t('event.none', { id }) : t('event.loadFailed', { message: err.message })));
      return;
    }
    // A newer load (an action and its stream echo overlap) draws instead.
    if (gone || mine !== loads) return;
    removeChart?.();
    removeChart = null;
    const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': t('event.chartLabel', { metric: metricLabel(event.metric) }) });
    const chartCaption = h('p', { class: 'small muted' });
    const parts = [
      header(event, sites),
      actions(event),
      event.metric ? h('section', { 'aria-labelledby': 'h-readings' }, h('h2', { id: 'h-readings' }, t('event.readings', { metric: metricLabel(event.metric), device: event.device })), chartBox, chartCaption) : null,
      ruleSection(event.ruleInfo),
      complaintSection(api, me, event),
      event.evidence.length ? evidenceSection(event.evidence) : null,
      evidencePictures(api, event.evidence),
      timeline(event.transitions),
      auditSection(audit.records),
    ];
    clear(body).append(...parts.filter(Boolean));
    if (event.metric) chart(event, chartBox, chartCaption);
    if (event.metric) currentValue(event);
  }

  // The value now, beside the value at the raise: is it still over the level?
  async function currentValue(event) {
    const cell = body.querySelector('#value-now');
    if (!cell) return;
    try {
      const s = await sites.refresh();
      const latest = s.find((x) => x.id === event.site)?.devices.find((d) => d.id === event.device)?.latest[event.metric];
      cell.textContent = latest ? `${metricValue(event.metric, latest.value)} (${fmtTime(latest.ts)})` : '—';
    } catch {
      cell.textContent = '—';
    }
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
      const unit = unitOf(event.metric);
      const drawn = drawChart(box, { series, levels: event.ruleInfo.levels ?? [], marker: event.raisedAt, unit, since, until });
      removeChart = drawn.remove;
      caption.textContent = `${summarise(series, unit)} ${t('event.chartNote')} ${t('charts.zone', { zone: timeZone() })}${drawn.gaps ? ` ${t('charts.gaps')}` : ''}`;
    } catch (err) {
      caption.textContent = err.code === 'GW_HISTORY_OFF' ? t('event.noHistory') : t('event.noChart', { message: err.message });
    }
  }

  function actions(event) {
    const can = allowedActions(me.role, event.state);
    if (!Object.values(can).some(Boolean)) return h('section', { class: 'actions' }, h('p', { class: 'muted' }, t('event.cannot', { role: label('role', me.role), state: label('state', event.state) })));
    const noteField = h('textarea', { id: 'note', name: 'note', rows: 3, maxlength: 4000 });
    noteField.value = note;
    noteField.addEventListener('input', () => (note = noteField.value));
    const problem = h('div');
    const disposition = h('select', { id: 'disposition', name: 'disposition' }, ...DISPOSITIONS.map((d) => h('option', { value: d }, label('disposition', d))));

    const run = (action, path, payload, needsNote, confirmText) => async () => {
      clear(problem);
      const name = t(`action.${action}`);
      const text = noteField.value.trim();
      if (needsNote && !text) {
        problem.append(errorBox(t('event.needsNote', { action: name })));
        noteField.focus();
        return;
      }
      if (confirmText && !(await confirmDialog(confirmText()))) return;
      for (const b of form.querySelectorAll('button')) b.disabled = true;
      try {
        const res = await api.post(`/api/events/${encodeURIComponent(event.id)}/${path}`, payload(text));
        note = '';
        live.put(res.event);
        status.textContent = t('event.done', { action: name });
        await load();
        body.querySelector('h1')?.focus();
      } catch (err) {
        for (const b of form.querySelectorAll('button')) b.disabled = false;
        problem.append(errorBox(t('event.failed', { action: name, message: err.message })));
      }
    };
    const button = (label, cls, onclick) => h('button', { type: 'button', class: cls, onclick }, label);
    const form = h(
      'form',
      { class: 'actions card', 'aria-labelledby': 'h-actions', onsubmit: (e) => e.preventDefault() },
      h('h2', { id: 'h-actions' }, t('event.actions')),
      h('div', { class: 'field' }, h('label', { for: 'note' }, t('event.note')), noteField),
      can.close ? h('div', { class: 'field' }, h('label', { for: 'disposition' }, t('event.disposition')), disposition) : null,
      h(
        'div',
        { class: 'buttons' },
        can.acknowledge ? button(t('action.acknowledge'), 'primary', run('acknowledge', 'acknowledge', (n) => (n ? { note: n } : {}), false)) : null,
        can.resolve ? button(t('action.resolve'), 'primary', run('resolve', 'resolve', (n) => ({ note: n }), true)) : null,
        can.close
          ? button(t('action.close'), 'primary', run('close', 'close', (n) => ({ disposition: disposition.value, note: n }), true, () => t('event.confirmClose', { disposition: label('disposition', disposition.value) })))
          : null,
        can.comment ? button(t('action.comment'), '', run('comment', 'comments', (n) => ({ note: n }), true)) : null,
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

/** A modal yes/no question (<dialog>): focus goes to it and back; Escape answers no. */
function confirmDialog(text) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const yes = h('button', { type: 'button', class: 'primary danger', value: 'yes' }, t('event.confirm'));
    const no = h('button', { type: 'button', value: 'no' }, t('event.cancel'));
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-text' }, h('p', { id: 'confirm-text' }, text), h('div', { class: 'buttons' }, no, yes));
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      opener?.focus?.();
      resolve(answer);
    };
    yes.addEventListener('click', () => done(true));
    no.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', (ev) => (ev.preventDefault(), done(false)));
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

function header(e, sites) {
  const facts = [
    ['site', siteName(sites, e.site)],
    ['device', e.device],
    ['sector', label('sector', e.sector)],
    e.metric ? ['metric', metricLabel(e.metric)] : null,
    e.detectionType ? ['detection', e.camera ? t('event.fact.camera', { type: label('detection', e.detectionType), camera: e.camera }) : label('detection', e.detectionType)] : null,
    ['value', e.metric ? metricValue(e.metric, e.value) : fmtNumber(e.value)],
    e.metric ? ['now', h('span', { id: 'value-now' }, '…')] : null,
    ['threshold', e.threshold === null ? '—' : e.metric ? metricValue(e.metric, e.threshold) : fmtNumber(e.threshold)],
    ['raised', fmtTime(e.raisedAt)],
    e.late ? ['detected', fmtTime(e.detectedAt)] : null,
    ['acknowledged', fmtTime(e.acknowledgedAt)],
    ['resolved', fmtTime(e.resolvedAt)],
    ['closed', fmtTime(e.closedAt)],
    e.disposition ? ['disposition', label('disposition', e.disposition)] : null,
  ].filter(Boolean);
  return h(
    'section',
    { class: `event-head sev-${e.severity}` },
    h('h1', { tabindex: '-1' }, eventTitle(e)),
    locale() === 'zh-CN' && eventTitle(e) !== e.title ? h('p', { class: 'small muted', lang: 'en' }, e.title) : null,
    h(
      'p',
      { class: 'badges' },
      severityBadge(e.severity),
      ' ',
      h('span', { id: 'event-state' }, stateBadge(e.state)),
      e.overdue ? h('span', { class: 'badge overdue-badge' }, t('badge.overdue')) : null,
      e.late ? h('span', { class: 'badge late-badge', title: t('badge.lateTitle') }, t('badge.late')) : null,
      e.suppressed ? h('span', { class: 'badge muted-badge' }, t('badge.suppressedTitle')) : null,
    ),
    h('p', { class: 'message' }, eventMessage(e)),
    // Raised from buffered data: say when it happened and when it could first be seen.
    e.late ? h('p', { class: 'late-note', id: 'late-note' }, t('event.lateNote', { raised: fmtAgo(e.raisedAt), received: fmtAgo(e.detectedAt) })) : null,
    h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, t(`event.fact.${k}`)), h('dd', {}, v)])),
    h('p', { class: 'small muted' }, t('charts.zone', { zone: timeZone() })),
  );
}

/** Chinese first with the English beside it in zh-CN; English alone in en. */
function both(zh, en) {
  if (locale() !== 'zh-CN' || !zh) return en ?? '—';
  return h('span', {}, zh, en ? h('span', { class: 'small muted', lang: 'en' }, ` (${en})`) : null);
}

function ruleSection(r) {
  return h(
    'section',
    { 'aria-labelledby': 'h-rule', class: 'card' },
    h('h2', { id: 'h-rule' }, t('event.rule')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('event.rule.id')),
      h('dd', {}, h('code', {}, r.id), ` ${t('event.rule.version', { version: r.version })}`),
      h('dt', {}, t('event.rule.item')),
      h('dd', {}, r.item, ' — ', both(r.itemNameZh, r.itemName)),
      h('dt', {}, t('event.rule.basis')),
      h('dd', { class: 'basis' }, both(r.basisZh, r.basis)),
      h('dt', {}, t('event.rule.department')),
      h('dd', {}, both(r.departmentZh, r.department)),
      r.levels ? [h('dt', {}, t('event.rule.levels')), h('dd', {}, h('ul', { class: 'levels' }, ...r.levels.map((l) => h('li', {}, severityBadge(l.severity), ' ', describeLevel(l)))))] : null,
    ),
  );
}

function evidenceSection(evidence) {
  const safe = (uri) => /^https?:\/\//i.test(uri ?? '');
  const cell = (col, ...content) => h('td', { dataset: { label: t(`event.evidence.${col}`) } }, ...content);
  return h(
    'section',
    { 'aria-labelledby': 'h-evidence' },
    h('h2', { id: 'h-evidence' }, t('event.evidence')),
    h(
      'table',
      { class: 'plain cards' },
      h('thead', {}, h('tr', {}, ...['time', 'confidence', 'box', 'snapshot'].map((c) => h('th', { scope: 'col' }, t(`event.evidence.${c}`))))),
      h(
        'tbody',
        {},
        ...evidence.map((ev) =>
          h(
            'tr',
            {},
            cell('time', fmtTime(ev.ts)),
            cell('confidence', `${fmtNumber(ev.confidence * 100, 0)} %`),
            cell('box', ev.bbox ? ev.bbox.map((v) => fmtNumber(v)).join(', ') : '—'),
            cell('snapshot', safe(ev.snapshot) ? h('a', { href: ev.snapshot, rel: 'noopener noreferrer', target: '_blank' }, t('event.evidence.open')) : (ev.snapshot ?? '—')),
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
    h('h2', { id: 'h-timeline' }, t('event.timeline')),
    h(
      'ol',
      { class: 'timeline', id: 'timeline' },
      ...transitions.map((tr) =>
        h(
          'li',
          { class: `t-${tr.type}`, dataset: { type: tr.type } },
          h('span', { class: 't-type' }, label('transition', tr.type)),
          ' ',
          h('time', { datetime: new Date(tr.at).toISOString() }, fmtTime(tr.at)),
          ` ${t('event.by')} `,
          h('strong', {}, tr.actor),
          tr.disposition ? t('event.withDisposition', { disposition: label('disposition', tr.disposition) }) : null,
          tr.note ? h('div', { class: 'note' }, tr.note) : null,
        ),
      ),
    ),
  );
}

function auditSection(records) {
  // Chain positions and hashes come only to users of every site (a scoped user's rows carry none).
  const chain = records.some((r) => r.seq !== undefined);
  const cols = chain ? ['seq', 'time', 'change', 'by', 'note', 'hash'] : ['time', 'change', 'by', 'note'];
  const cell = (col, attrs, ...content) => h('td', { ...attrs, dataset: { label: t(`event.audit.${col}`) } }, ...content);
  return h(
    'section',
    { 'aria-labelledby': 'h-audit' },
    h('h2', { id: 'h-audit' }, t('event.audit')),
    h(
      'table',
      { class: 'plain audit cards', id: 'audit' },
      h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, t(`event.audit.${c}`))))),
      h(
        'tbody',
        {},
        ...records.map((r) =>
          h(
            'tr',
            { dataset: { type: r.type } },
            chain ? cell('seq', { class: 'num' }, String(r.seq)) : null,
            cell('time', {}, fmtTime(r.at)),
            cell('change', {}, label('transition', r.type)),
            cell('by', {}, r.actor),
            cell('note', {}, r.note ?? ''),
            chain ? cell('hash', {}, h('code', { title: r.hash }, r.hash.slice(0, 12))) : null,
          ),
        ),
      ),
    ),
  );
}
