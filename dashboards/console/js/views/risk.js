// Risk ranking and "why is this site red?": the score's breakdown, line by line, and its trend
// (issue 16). Keys under risk.*, registered here; the level colours reuse the severity badges.
import { clear, errorBox, h } from '../dom.js';
import { addMessages, fmtNumber, fmtTime, label, t } from '../i18n.js';

addMessages({
  'zh-CN': {
    'risk.nav': '风险',
    'risk.title': '风险分级预警',
    'risk.caption': '企业风险排名，按分数从高到低',
    'risk.model': '模型版本 {version}，统计窗口 {days} 天',
    'risk.col.rank': '排名',
    'risk.col.site': '企业',
    'risk.col.sector': '行业',
    'risk.col.score': '风险分',
    'risk.col.level': '等级',
    'risk.col.top': '主要因素',
    'risk.none': '尚无评分（网关每隔几分钟计算一次）',
    'risk.loadFailed': '无法加载风险数据：{message}',
    'risk.breakdown': '分数构成',
    'risk.trend': '趋势',
    'risk.noTrend': '暂无历史（需要 InfluxDB）',
    'risk.total': '合计',
    'risk.back': '返回风险排名',
    'risk.level.blue': '蓝（低）',
    'risk.level.yellow': '黄（一般）',
    'risk.level.orange': '橙（较大）',
    'risk.level.red': '红（重大）',
    'risk.factor.events': '告警事件',
    'risk.factor.events_cap': '事件上限',
    'risk.factor.overdue_acknowledgement': '超时未确认',
    'risk.factor.offline': '设备离线',
    'risk.factor.data_quality': '数据质量',
    'risk.factor.credit_grade': '信用等级',
    'risk.factor.inspections': '现场检查',
    'risk.factor.clamp': '分数范围 0–100',
  },
  en: {
    'risk.nav': 'Risk',
    'risk.title': 'Risk early warning',
    'risk.caption': 'Sites ranked by risk score, highest first',
    'risk.model': 'model version {version}, window {days} days',
    'risk.col.rank': 'Rank',
    'risk.col.site': 'Site',
    'risk.col.sector': 'Sector',
    'risk.col.score': 'Score',
    'risk.col.level': 'Level',
    'risk.col.top': 'Main factor',
    'risk.none': 'No scores yet (the gateway scores every few minutes)',
    'risk.loadFailed': 'Could not load risk: {message}',
    'risk.breakdown': 'How the score is made',
    'risk.trend': 'Trend',
    'risk.noTrend': 'No history yet (needs InfluxDB)',
    'risk.total': 'Total',
    'risk.back': 'Back to the ranking',
    'risk.level.blue': 'Blue (low)',
    'risk.level.yellow': 'Yellow (general)',
    'risk.level.orange': 'Orange (large)',
    'risk.level.red': 'Red (major)',
    'risk.factor.events': 'Events',
    'risk.factor.events_cap': 'Event cap',
    'risk.factor.overdue_acknowledgement': 'Overdue acknowledgements',
    'risk.factor.offline': 'Devices offline',
    'risk.factor.data_quality': 'Data quality',
    'risk.factor.credit_grade': 'Credit grade',
    'risk.factor.inspections': 'Inspections',
    'risk.factor.clamp': 'Kept within 0-100',
  },
});

// The four warning colours drawn with the severity badges of the same weight.
const BADGE = { blue: 'info', yellow: 'warning', orange: 'major', red: 'critical' };
export const levelBadge = (level) => h('span', { class: `badge sev-${BADGE[level] ?? 'info'}`, dataset: { level } }, t(`risk.level.${level}`));

const top = (breakdown) => [...breakdown].sort((a, b) => b.points - a.points)[0];

export function renderRisk(main, { api, failed }) {
  const box = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  main.append(h('h1', {}, t('risk.title')), box);
  api
    .get('/api/risk')
    .then((body) => {
      clear(box).append(h('p', { class: 'muted small' }, t('risk.model', { version: body.modelVersion, days: body.windowDays })));
      if (!body.sites.length) return box.append(h('p', { class: 'muted' }, t('risk.none')));
      const cols = ['rank', 'site', 'sector', 'score', 'level', 'top'];
      box.append(
        h(
          'table',
          { class: 'plain risk cards' },
          h('caption', { class: 'sr-only' }, t('risk.caption')),
          h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, t(`risk.col.${c}`))))),
          h(
            'tbody',
            {},
            ...body.sites.map((s, i) => {
              const main = top(s.breakdown);
              // Each cell names its column: on a phone the rows are labelled cards.
              const cell = (col, cls, ...content) => h('td', { class: cls, dataset: { label: t(`risk.col.${col}`) } }, ...content);
              return h(
                'tr',
                { dataset: { site: s.site } },
                cell('rank', 'num', fmtNumber(i + 1, 0)),
                cell('site', 'title', h('a', { href: `#/risk/${s.site}` }, s.name), h('div', { class: 'small muted' }, s.site)),
                cell('sector', '', label('sector', s.sector)),
                cell('score', 'num', fmtNumber(s.score, 1)),
                cell('level', '', levelBadge(s.level)),
                cell('top', '', main ? `${t(`risk.factor.${main.factor}`)} (${fmtNumber(main.points, 1)})` : '—'),
              );
            }),
          ),
        ),
      );
    })
    .catch((err) => (failed(), clear(box).append(errorBox(t('risk.loadFailed', { message: err.message })))));
}

function sparkline(points) {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  const W = 480;
  const H = 80;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('width', String(W));
  svg.setAttribute('height', String(H));
  svg.setAttribute('class', 'risk-trend');
  svg.setAttribute('role', 'img');
  const t0 = points[0].at;
  const span = Math.max(1, points.at(-1).at - t0);
  const line = document.createElementNS(NS, 'polyline');
  line.setAttribute('points', points.map((p) => `${(((p.at - t0) / span) * W).toFixed(1)},${(H - (p.score / 100) * H).toFixed(1)}`).join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  line.setAttribute('stroke-width', '2');
  svg.append(line);
  return svg;
}

export function renderSiteRisk(main, { api, failed }, site) {
  const box = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  main.append(h('p', {}, h('a', { href: '#/risk' }, t('risk.back'))), h('h1', {}, `${t('risk.title')} — ${site}`), box);
  api
    .get(`/api/sites/${encodeURIComponent(site)}/risk`)
    .then(({ current, trend }) => {
      clear(box);
      if (!current) return box.append(h('p', { class: 'muted' }, t('risk.none')));
      box.append(
        h('p', {}, levelBadge(current.level), ' ', h('strong', { class: 'risk-score' }, fmtNumber(current.score, 2)), h('span', { class: 'muted small' }, ` ${fmtTime(current.at)}`)),
        h('h2', {}, t('risk.breakdown')),
        h(
          'table',
          { class: 'plain risk-breakdown' },
          h(
            'tbody',
            {},
            ...current.breakdown.map((l) => h('tr', { dataset: { factor: l.factor } }, h('th', { scope: 'row' }, t(`risk.factor.${l.factor}`)), h('td', { class: 'num' }, fmtNumber(l.points, 2)), h('td', { class: 'small muted' }, l.detail))),
            h('tr', {}, h('th', { scope: 'row' }, t('risk.total')), h('td', { class: 'num' }, fmtNumber(current.score, 2)), h('td', {})),
          ),
        ),
        h('h2', {}, t('risk.trend')),
        trend.length >= 2 ? sparkline(trend) : h('p', { class: 'muted' }, t('risk.noTrend')),
      );
    })
    .catch((err) => (failed(), clear(box).append(errorBox(t('risk.loadFailed', { message: err.message })))));
}
