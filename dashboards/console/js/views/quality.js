// Alarm quality (issue 19): the worst offenders first with the ISA-18.2 / EEMUA 191 targets
// beside the figures, and backtests of a rule change: the diff and the rules' figures side by
// side, then approval by a second person and the reload of the approved rules. Keys quality.*.
import { qs } from '../api.js';
import { clear, errorBox, h, select } from '../dom.js';
import { addMessages, fmtDuration, fmtNumber, fmtTime, has, t } from '../i18n.js';

addMessages({
  'zh-CN': {
    'quality.nav': '告警质量',
    'quality.title': '告警质量',
    'quality.period': '时段',
    'quality.period.1': '最近 1 天',
    'quality.period.7': '最近 7 天',
    'quality.period.30': '最近 30 天',
    'quality.groupBy': '分组',
    'quality.group.rule': '规则',
    'quality.group.item': '监管事项',
    'quality.group.site': '企业',
    'quality.group.department': '主管部门',
    'quality.group.day': '日期',
    'quality.summary': '{raised} 次告警，每天 {perDay} 次，最忙的 10 分钟 {peak} 次',
    'quality.benchmarks': '对照标准（每个值班岗位）',
    'quality.bench.perDay': '每个值班岗位每天约 150 次告警：很可能可接受（300：最多可应付）',
    'quality.bench.per10Min': '每 10 分钟约 1 次告警：很可能可接受（2：最多可应付）',
    'quality.bench.peak10Min': '任何 10 分钟内不超过 10 次告警（超过即为告警泛滥）',
    'quality.bench.floodShare': '处于泛滥状态的 10 分钟时段少于约 1 %',
    'quality.bench.topTenShare': '最频繁的 10 条告警约占总量的 1–5 %',
    'quality.bench.chatteringKeys': '没有抖动告警',
    'quality.bench.standing': '长期未消除（超过 24 小时）的告警接近零',
    'quality.met': '达标',
    'quality.notMet': '未达标',
    'quality.col.group': '分组',
    'quality.col.raised': '告警数',
    'quality.col.perDay': '每天',
    'quality.col.peak': '10 分钟峰值',
    'quality.col.floods': '泛滥窗口',
    'quality.col.chattering': '抖动',
    'quality.col.standing': '长期未消除',
    'quality.col.falseShare': '误报率',
    'quality.col.ack': '确认用时（中位）',
    'quality.col.suppressed': '维护屏蔽',
    'quality.worst': '问题最多的排在最前',
    'quality.none': '该时段没有告警',
    'quality.loadFailed': '无法加载告警质量：{message}',
    'quality.backtests': '规则变更回测',
    'quality.backtest.run': '回测规则目录（当前磁盘上的规则）',
    'quality.backtest.running': '回测进行中… 已读 {points} 个点',
    'quality.backtest.none': '尚无回测',
    'quality.backtest.failed': '回测失败：{message}',
    'quality.backtest.ranBy': '{user} 于 {at} 运行',
    'quality.backtest.approvedBy': '{user} 已批准',
    'quality.backtest.appliedBy': '{user} 已生效',
    'quality.backtest.approve': '批准此变更',
    'quality.backtest.apply': '按批准的规则重新加载',
    'quality.backtest.missedWarn': '注意：此变更会漏报 {n} 起已确认的违规',
    'quality.col.rule': '规则',
    'quality.col.now': '现行：告警 / 误报率',
    'quality.col.before': '回测前',
    'quality.col.after': '回测后',
    'quality.col.removed': '不再告警',
    'quality.col.added': '新增',
    'quality.col.avoided': '避免的误报',
    'quality.col.missed': '漏报的确认违规',
  },
  en: {
    'quality.nav': 'Alarm quality',
    'quality.title': 'Alarm quality',
    'quality.period': 'Period',
    'quality.period.1': 'Last day',
    'quality.period.7': 'Last 7 days',
    'quality.period.30': 'Last 30 days',
    'quality.groupBy': 'Group by',
    'quality.group.rule': 'Rule',
    'quality.group.item': 'Supervision item',
    'quality.group.site': 'Site',
    'quality.group.department': 'Department',
    'quality.group.day': 'Day',
    'quality.summary': '{raised} alarms, {perDay} a day, {peak} in the busiest 10 minutes',
    'quality.benchmarks': 'Against the standards (per operator position)',
    'quality.bench.perDay': '≈150 alarms a day per operator position: very likely acceptable (300: maximum manageable)',
    'quality.bench.per10Min': '≈1 alarm per 10 minutes: very likely acceptable (2: maximum manageable)',
    'quality.bench.peak10Min': 'at most 10 alarms in any 10 minutes (more is a flood)',
    'quality.bench.floodShare': 'under ≈1 % of 10-minute periods in flood',
    'quality.bench.topTenShare': 'the 10 most frequent alarms carry ≈1-5 % of the load',
    'quality.bench.chatteringKeys': 'no chattering alarms',
    'quality.bench.standing': 'standing (active > 24 h) alarms near zero',
    'quality.met': 'met',
    'quality.notMet': 'not met',
    'quality.col.group': 'Group',
    'quality.col.raised': 'Alarms',
    'quality.col.perDay': 'A day',
    'quality.col.peak': 'Peak 10 min',
    'quality.col.floods': 'Flood windows',
    'quality.col.chattering': 'Chattering',
    'quality.col.standing': 'Standing',
    'quality.col.falseShare': 'False alarms',
    'quality.col.ack': 'To acknowledge (median)',
    'quality.col.suppressed': 'Suppressed',
    'quality.worst': 'Worst offenders first',
    'quality.none': 'No alarms in this period',
    'quality.loadFailed': 'Could not load alarm quality: {message}',
    'quality.backtests': 'Backtests of rule changes',
    'quality.backtest.run': 'Backtest the rule directory (the rules on disk now)',
    'quality.backtest.running': 'Backtest running… {points} points read',
    'quality.backtest.none': 'No backtest yet',
    'quality.backtest.failed': 'Backtest failed: {message}',
    'quality.backtest.ranBy': 'run by {user} at {at}',
    'quality.backtest.approvedBy': 'approved by {user}',
    'quality.backtest.appliedBy': 'applied by {user}',
    'quality.backtest.approve': 'Approve this change',
    'quality.backtest.apply': 'Reload the approved rules',
    'quality.backtest.missedWarn': 'Careful: this change would have missed {n} confirmed violation(s)',
    'quality.col.rule': 'Rule',
    'quality.col.now': 'Now: alarms / false share',
    'quality.col.before': 'Before',
    'quality.col.after': 'After',
    'quality.col.removed': 'No longer raised',
    'quality.col.added': 'New',
    'quality.col.avoided': 'False alarms avoided',
    'quality.col.missed': 'Confirmed missed',
  },
});

const DAY = 86_400_000;
const pct = (v) => (v === null || v === undefined ? '—' : `${fmtNumber(v * 100, 1)} %`);
const BENCH_VALUE = { floodShare: pct, topTenShare: pct };

/** A table whose cells name their column, so that on a phone its rows are labelled cards. */
function table(cls, head, rows) {
  for (const tr of rows) [...tr.children].forEach((td, i) => td.dataset.label ?? (td.dataset.label = head[i] ?? ''));
  return h('table', { class: `plain cards ${cls}` }, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, ...rows));
}

function benchmarks(list) {
  return h(
    'ul',
    { class: 'quality-benchmarks' },
    ...list.map((b) =>
      h('li', { dataset: { figure: b.figure, met: String(b.met) } }, h('span', { class: `badge ${b.met ? 'state-closed' : 'sev-major'}` }, b.met ? t('quality.met') : t('quality.notMet')), ' ', `${(BENCH_VALUE[b.figure] ?? ((v) => fmtNumber(v, 2)))(b.value)} — ${has(`quality.bench.${b.figure}`) ? t(`quality.bench.${b.figure}`) : b.label}`, h('span', { class: 'small muted' }, ` (${b.source})`)),
    ),
  );
}

function groupsTable(report) {
  const head = ['group', 'raised', 'perDay', 'peak', 'floods', 'chattering', 'standing', 'falseShare', 'ack', 'suppressed'].map((c) => t(`quality.col.${c}`));
  const rows = report.groups.map((g) =>
    h(
      'tr',
      { dataset: { group: g.label } },
      h('td', { class: 'title' }, g.label),
      h('td', { class: 'num' }, fmtNumber(g.raised, 0)),
      h('td', { class: 'num' }, fmtNumber(g.perDay, 1)),
      h('td', { class: 'num' }, fmtNumber(g.peak10Min, 0)),
      h('td', { class: 'num' }, fmtNumber(g.floodWindows, 0)),
      h('td', { class: 'num' }, fmtNumber(g.chatteringKeys, 0)),
      h('td', { class: 'num' }, fmtNumber(g.standing, 0)),
      h('td', { class: 'num' }, pct(g.falseAlarmShare)),
      h('td', { class: 'num' }, g.toAcknowledge.medianMs === null ? '—' : fmtDuration(g.toAcknowledge.medianMs)),
      h('td', { class: 'num' }, fmtNumber(g.suppressed, 0)),
    ),
  );
  return h('div', {}, h('p', { class: 'small muted' }, t('quality.worst')), table('quality-groups', head, rows));
}

/** The backtest's per-rule diff beside each rule's figures now (same period). */
function diffTable(bt, byRule) {
  const head = ['rule', 'now', 'before', 'after', 'removed', 'added', 'avoided', 'missed'].map((c) => t(`quality.col.${c}`));
  const rows = bt.result.perRule
    .filter((p) => p.before !== p.after || p.removed || p.added || p.avoidedFalseAlarms || p.missedConfirmed)
    .map((p) => {
      const now = byRule.get(p.rule);
      return h(
        'tr',
        { dataset: { rule: p.rule } },
        h('td', { class: 'title' }, p.rule),
        h('td', { class: 'num' }, now ? `${fmtNumber(now.raised, 0)} / ${pct(now.falseAlarmShare)}` : '—'),
        h('td', { class: 'num' }, fmtNumber(p.before, 0)),
        h('td', { class: 'num' }, fmtNumber(p.after, 0)),
        h('td', { class: 'num' }, fmtNumber(p.removed, 0)),
        h('td', { class: 'num' }, fmtNumber(p.added, 0)),
        h('td', { class: 'num' }, fmtNumber(p.avoidedFalseAlarms, 0)),
        h('td', { class: `num${p.missedConfirmed ? ' error' : ''}` }, fmtNumber(p.missedConfirmed, 0)),
      );
    });
  return table('quality-diff', head, rows);
}

function renderBacktests(box, { api, me, failed }, period, byRule) {
  const role = me.role;
  const list = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  const run = h('button', { type: 'button', hidden: role !== 'admin' }, t('quality.backtest.run'));
  box.append(h('h2', {}, t('quality.backtests')), run, list);
  let timer = null;
  const refresh = () =>
    api
      .get('/api/rules/backtests')
      .then(async ({ backtests }) => {
        clear(list);
        if (!backtests.length) return list.append(h('p', { class: 'muted' }, t('quality.backtest.none')));
        const latest = backtests[0].state === 'running' ? backtests[0] : await api.get(`/api/rules/backtests/${backtests[0].id}`);
        list.append(backtestCard(latest));
        if (latest.state === 'running') timer = setTimeout(refresh, 1000);
      })
      .catch((err) => (failed(), clear(list).append(errorBox(err.message))));
  const act = (path) => api.post(path, {}).then(refresh, (err) => list.prepend(errorBox(err.message)));
  function backtestCard(bt) {
    const card = h('section', { class: 'quality-backtest', dataset: { id: bt.id, state: bt.state } }, h('p', { class: 'small muted' }, `${bt.id} · ${fmtTime(bt.from)} – ${fmtTime(bt.to)} · ${t('quality.backtest.ranBy', { user: bt.ranBy, at: fmtTime(bt.startedAt) })}`));
    if (bt.state === 'running') return card.append(h('p', { role: 'status' }, t('quality.backtest.running', { points: bt.progress?.points ?? 0 }))), card;
    if (bt.state === 'failed') return card.append(errorBox(t('quality.backtest.failed', { message: [bt.error, ...(bt.problems ?? []).map((p) => `${p.file}: ${p.reason}`)].join('; ') }))), card;
    const missed = bt.result.totals.missedConfirmed;
    if (missed > 0) card.append(errorBox(t('quality.backtest.missedWarn', { n: missed })));
    card.append(diffTable(bt, byRule));
    if (bt.approvedBy) card.append(h('p', {}, t('quality.backtest.approvedBy', { user: bt.approvedBy })));
    if (bt.appliedBy) card.append(h('p', {}, t('quality.backtest.appliedBy', { user: bt.appliedBy })));
    if (!bt.approvedBy && role !== 'viewer' && role !== 'operator' && bt.ranBy !== me.user) card.append(h('button', { type: 'button', onclick: () => act(`/api/rules/backtests/${bt.id}/approve`) }, t('quality.backtest.approve')));
    if (bt.approvedBy && !bt.appliedBy && role === 'admin') card.append(h('button', { type: 'button', onclick: () => act(`/api/rules/backtests/${bt.id}/apply`) }, t('quality.backtest.apply')));
    return card;
  }
  run.addEventListener('click', () => api.post('/api/rules/backtest', period).then(refresh, (err) => list.prepend(errorBox(err.message))));
  refresh();
  return () => clearTimeout(timer);
}

export function renderQuality(main, ctx, query) {
  const days = ['1', '7', '30'].includes(query.get('days')) ? query.get('days') : '7';
  const groupBy = ['rule', 'item', 'site', 'department', 'day'].includes(query.get('groupBy')) ? query.get('groupBy') : 'rule';
  const go = (next) => (location.hash = `#/quality${qs({ days, groupBy, ...next })}`);
  const to = Date.now();
  const period = { from: to - Number(days) * DAY, to };
  const box = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  const backtests = h('div', {});
  main.append(
    h('h1', {}, t('quality.title')),
    h(
      'div',
      { class: 'filters' },
      select('q-days', t('quality.period'), ['1', '7', '30'].map((d) => [d, t(`quality.period.${d}`)]), days, (e) => go({ days: e.target.value })),
      select('q-group', t('quality.groupBy'), ['rule', 'item', 'site', 'department', 'day'].map((g) => [g, t(`quality.group.${g}`)]), groupBy, (e) => go({ groupBy: e.target.value })),
    ),
    box,
    backtests,
  );
  let stop = () => undefined;
  const load = Promise.all([ctx.api.get(`/api/alarm-quality${qs({ ...period, groupBy })}`), groupBy === 'rule' ? null : ctx.api.get(`/api/alarm-quality${qs({ ...period, groupBy: 'rule', limit: 10000 })}`)]);
  load
    .then(([report, rules]) => {
      const s = report.summary;
      clear(box).append(h('p', { class: 'quality-summary' }, t('quality.summary', { raised: s.raised, perDay: fmtNumber(s.perDay, 1), peak: s.peak10Min })), h('h2', {}, t('quality.benchmarks')), benchmarks(report.benchmarks));
      box.append(report.groups.length ? groupsTable(report) : h('p', { class: 'muted' }, t('quality.none')));
      if (ctx.me.role === 'admin' || ctx.me.role === 'supervisor') {
        const byRule = new Map((rules ?? report).groups.map((g) => [g.group.rule, g]));
        stop = renderBacktests(backtests, ctx, period, byRule);
      }
    })
    .catch((err) => (ctx.failed(), clear(box).append(errorBox(t('quality.loadFailed', { message: err.message })))));
  return () => stop();
}
