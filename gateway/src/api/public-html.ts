import type { PlanExport } from '../inspections/index.js';

// Server-rendered pages for "一公开": Chinese first, English beside it, no script at all.

export const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export const DEPARTMENTS: Record<string, string> = {
  'Emergency Management Bureau': '应急管理局',
  'Mine Safety Administration': '矿山安全监察局',
  'Housing and Urban-Rural Development Bureau': '住房和城乡建设局',
  'Ecology and Environment Bureau': '生态环境局',
  'Market Supervision Administration': '市场监督管理局',
};
export const SECTORS: Record<string, string> = {
  hazardous_chemicals: '危险化学品',
  mining: '矿山',
  construction: '建筑施工',
  pollution_source: '污染源',
  food_service: '餐饮服务',
  fireworks: '烟花爆竹',
  other: '其他',
};
export const CONCLUSIONS: Record<string, string> = { compliant: '未发现问题 / compliant', non_compliant: '发现问题 / non-compliant', rectification_ordered: '责令整改 / rectification ordered' };
const dept = (d: string) => `${esc(DEPARTMENTS[d] ?? d)}${DEPARTMENTS[d] ? ` <span class="en">${esc(d)}</span>` : ''}`;
const sector = (s: string) => esc(SECTORS[s] ?? s);

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><link rel="stylesheet" href="/public/style.css"></head>
<body><header><a href="/public/inspections">双随机、一公开 <span class="en">Random inspections, published</span></a></header>
<main>${body}</main>
<footer>数据由监管网关公开，可下载 JSON 并用 <code>npm run inspections -- verify</code> 核验 / Download the JSON and verify it yourself.</footer></body></html>`;
}

export interface PlanSummary {
  id: string;
  title: string;
  period: { from: string; to: string };
  departments: string[];
  state: 'committed' | 'drawn';
  seedHash: string;
  seed: string | null;
  createdAt: string;
  drawnAt: string | null;
  visits: number | null;
  inspected: number;
}

export function planListHtml(plans: PlanSummary[]): string {
  const rows = plans
    .map(
      (p) => `<tr><td><a href="/public/inspections/plans/${esc(p.id)}">${esc(p.title)}</a></td><td>${esc(p.period.from)} — ${esc(p.period.to)}</td>
<td>${p.departments.map(dept).join('<br>')}</td><td>${p.state === 'drawn' ? '已抽取 / drawn' : '待抽取 / not drawn yet'}</td><td>${p.visits ?? '—'}</td><td>${p.inspected}</td></tr>`,
    )
    .join('\n');
  return page(
    '抽查计划 / Inspection plans',
    `<h1>抽查计划 <span class="en">Inspection plans</span></h1>
<table><thead><tr><th>计划 / Plan</th><th>期间 / Period</th><th>部门 / Departments</th><th>状态 / State</th><th>抽中 / Drawn</th><th>已检查 / Inspected</th></tr></thead>
<tbody>${rows || '<tr><td colspan="6">暂无 / none yet</td></tr>'}</tbody></table>`,
  );
}

export function planHtml(e: PlanExport): string {
  const names = new Map((e.pool?.sites ?? []).map((s) => [s.site, s]));
  const results = new Map(e.results.map((r) => [r.site, r]));
  const policy = e.policy
    ? e.policy.departments
        .filter((d) => e.params.departments.includes(d.department))
        .map(
          (d) => `<h3>${dept(d.department)}</h3><p>行业 / sectors: ${d.sectors.map(sector).join('、')}；最短间隔 / min. interval ${d.minIntervalDays} 天；每次检查人员 / inspectors per visit ${d.inspectorsPerVisit}</p>
<table class="strata"><thead><tr><th>信用等级 \\ 风险</th><th>蓝 blue</th><th>黄 yellow</th><th>橙 orange</th><th>红 red</th></tr></thead><tbody>${(['A', 'B', 'C', 'D'] as const)
            .map((g) => `<tr><th>${g}</th>${(['blue', 'yellow', 'orange', 'red'] as const).map((l) => `<td>${rate(d.strata[g][l])}</td>`).join('')}</tr>`)
            .join('')}</tbody></table>`,
        )
        .join('\n')
    : '<p>抽取时确定 / fixed at the draw</p>';
  const visits = (e.draw?.visits ?? [])
    .map((v) => {
      const s = names.get(v.site);
      const r = results.get(v.site);
      return `<tr><td>${esc(s?.name ?? v.site)} <span class="en">${esc(v.site)}</span></td><td>${sector(s?.sector ?? '')}</td><td>${esc(v.creditGrade)} / ${esc(v.riskLevel)}</td>
<td>${v.departments.map((d) => `${dept(d.department)}${d.reason === 'key_supervision' ? '（重点监管 / key supervision）' : ''}`).join('<br>')}</td><td>${esc(v.items.join('、'))}</td>
<td class="mono">${esc(v.inspectors.map((i) => (e.inspectorNames?.[i] ? `${e.inspectorNames[i]} (${i})` : i)).join(', '))}</td><td>${r ? `${esc(CONCLUSIONS[r.conclusion] ?? r.conclusion)}<br>${esc(r.inspectedOn)}${confirmationHtml(r.confirmation)}` : '待检查 / pending'}</td></tr>`;
    })
    .join('\n');
  return page(
    `${e.title} — 抽查计划`,
    `<h1>${esc(e.title)}</h1>
<dl>
<dt>期间 / Period</dt><dd>${esc(e.params.period.from)} — ${esc(e.params.period.to)}</dd>
<dt>部门 / Departments</dt><dd>${e.params.departments.map(dept).join('；')}</dd>
<dt>状态 / State</dt><dd>${e.state === 'drawn' ? `已抽取 / drawn ${esc(e.drawnAt)}` : '待抽取 / not drawn yet'}</dd>
<dt>种子哈希 / Seed hash (SHA-256, 创建时公布 / published at creation ${esc(e.createdAt)})</dt><dd class="mono" id="seed-hash">${esc(e.seedHash)}</dd>
<dt>随机种子 / Seed</dt><dd class="mono" id="seed">${e.seed ? esc(e.seed) : '抽取后公布 / revealed after the draw'}</dd>
<dt>抽查规则版本 / Policy version</dt><dd class="mono">${esc(e.policyVersion ?? '—')}</dd>
<dt>候选名单 / Candidate pool</dt><dd>${e.pool ? `${e.pool.sites.length} 家企业 / enterprises, ${e.pool.inspectors.length} 名执法人员 / inspectors; 哈希 / hash <span class="mono">${esc(e.poolHash)}</span>` : '抽取时冻结 / frozen at the draw'}</dd>
</dl>
<p><a href="/public/inspections/plans/${esc(e.id)}?format=json">下载 JSON / download JSON</a></p>
<h2>抽查规则 <span class="en">Policy</span></h2>${policy}
<h2>抽中企业与结果 <span class="en">Drawn enterprises and results</span></h2>
<table id="visits"><thead><tr><th>企业 / Enterprise</th><th>行业 / Sector</th><th>信用 / 风险</th><th>部门 / Departments</th><th>检查事项 / Items</th><th>执法人员 / Inspectors</th><th>结果 / Result</th></tr></thead>
<tbody>${visits || '<tr><td colspan="7">抽取后公布 / published after the draw</td></tr>'}</tbody></table>`,
  );
}

/** The enterprise's confirmation of a visit (issue 17), as the plan's policy publishes it. */
export function confirmationHtml(c: { confirmedOn: string; rating?: number } | undefined): string {
  if (!c) return '';
  const stars = c.rating === undefined ? '' : ` <span class="rating" title="${c.rating}/5">${'★'.repeat(c.rating)}${'☆'.repeat(5 - c.rating)}</span>`;
  return `<br><span class="confirmed">企业已确认 / confirmed by the enterprise ${esc(c.confirmedOn)}${stars}</span>`;
}

function rate(r: number | { ratio: number } | { perYear: number }): string {
  if (typeof r === 'number') return `${Math.round(r * 1000) / 10}%`;
  if ('ratio' in r) return `${Math.round(r.ratio * 1000) / 10}%`;
  return `≤${r.perYear} 次/年`;
}

export const PUBLIC_CSS = `body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{background:#9f1c1c;padding:.8em 1.2em}header a{color:#fff;text-decoration:none;font-weight:600}
main{max-width:1200px;margin:1em auto;padding:0 1em}footer{max-width:1200px;margin:2em auto;padding:0 1em;color:#667;font-size:.9em}
.en{color:#667;font-size:.85em;font-weight:normal}.mono{font-family:ui-monospace,monospace;word-break:break-all}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5em 0 1.5em}th,td{border:1px solid #d5d9e0;padding:.4em .6em;text-align:left;vertical-align:top}
th{background:#eef1f5}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em}dt{font-weight:600}dd{margin:0}
table.strata{width:auto}`;
