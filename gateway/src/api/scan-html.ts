import { CATEGORY_ZH, COMPLAINT_CATEGORIES, type ComplaintCategory } from '../scancode/index.js';
import { CONCLUSIONS, confirmationHtml, DEPARTMENTS, esc, SECTORS } from './public-html.js';

// The page a site's QR code opens (/s/<code>), phone first and Chinese first, no script:
// plain HTML forms post the complaint and the enterprise's confirmation.

const CATEGORY_EN: Record<ComplaintCategory, string> = { safety: 'safety hazard', environment: 'pollution', food: 'food safety', conduct: 'conduct of officials', other: 'other' };

function shell(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title><link rel="stylesheet" href="/public/scan.css"></head>
<body><header>扫码监管 <span class="en">Scan-code supervision</span></header><main>${body}</main>
<footer><a href="/public/inspections">双随机、一公开 / published inspections</a></footer></body></html>`;
}

export interface SitePageResult {
  planId: string;
  title: string;
  conclusion: string;
  inspectedOn: string;
  confirmation?: { confirmedOn: string; rating?: number };
}

export interface SitePage {
  code: string;
  name: string;
  sector: string;
  departments: string[];
  results: SitePageResult[];
  maxPictures: number;
}

export function sitePageHtml(p: SitePage): string {
  const results = p.results.length
    ? `<ul class="results">${p.results
        .map((r) => `<li><a href="/public/inspections/plans/${esc(r.planId)}">${esc(r.title)}</a><br>${esc(r.inspectedOn)} · ${esc(CONCLUSIONS[r.conclusion] ?? r.conclusion)}${confirmationHtml(r.confirmation)}</li>`)
        .join('')}</ul>`
    : '<p class="muted">暂无公开检查结果 <span class="en">no published inspection results yet</span></p>';
  const options = COMPLAINT_CATEGORIES.map((c) => `<option value="${c}">${esc(CATEGORY_ZH[c])} / ${esc(CATEGORY_EN[c])}</option>`).join('');
  const stars = [5, 4, 3, 2, 1].map((n) => `<label class="star"><input type="radio" name="rating" value="${n}" required> ${'★'.repeat(n)}</label>`).join('');
  return shell(
    `${p.name} — 扫码监管`,
    `<section class="site"><h1 id="site-name">${esc(p.name)}</h1>
<p>行业 / sector：<span id="site-sector">${esc(SECTORS[p.sector] ?? p.sector)}</span></p>
${p.departments.length ? `<p>主管部门 / department：${p.departments.map((d) => esc(DEPARTMENTS[d] ?? d)).join('、')}</p>` : ''}</section>
<section><h2>公开检查结果 <span class="en">Published inspection results</span></h2>${results}</section>
<section><h2>投诉举报 <span class="en">Report a problem</span></h2>
<p class="muted">可匿名。联系方式仅供主管部门回访，不会公开。<span class="en">Anonymous reports are welcome; a contact is only for the department to call back and is never published.</span></p>
<form id="complaint" method="post" action="/public/complaints" enctype="multipart/form-data">
<input type="hidden" name="siteCode" value="${esc(p.code)}">
<label for="category">类别 / category</label><select id="category" name="category" required>${options}</select>
<label for="description">情况描述 / what you saw</label><textarea id="description" name="description" rows="5" minlength="5" maxlength="2000" required></textarea>
<label for="pictures">照片（最多 ${p.maxPictures} 张，可选）/ pictures (up to ${p.maxPictures}, optional)</label><input id="pictures" name="pictures" type="file" accept="image/jpeg,image/png,image/webp" multiple>
<label for="contact">联系方式（可选）/ contact (optional)</label><input id="contact" name="contact" maxlength="200" autocomplete="tel">
<button type="submit">提交 / Send</button></form></section>
<section><h2>查询投诉进度 <span class="en">Look up a complaint</span></h2>
<form id="lookup" method="get" action="/public/complaints">
<label for="tracking">查询码 / tracking code</label><input id="tracking" name="tracking" required maxlength="64" autocomplete="off" autocapitalize="none" spellcheck="false">
<button type="submit">查询 / Look up</button></form></section>
<section><h2>企业确认检查 <span class="en">Enterprise: confirm an inspection</span></h2>
<p class="muted">检查结束时执法人员手机上显示一次性确认码。<span class="en">At the end of the visit the inspector's phone shows a one-time code.</span></p>
<form id="confirm" method="post" action="/public/confirmations" enctype="multipart/form-data">
<input type="hidden" name="siteCode" value="${esc(p.code)}">
<label for="code">确认码 / code</label><input id="code" name="code" required maxlength="16" autocomplete="off" autocapitalize="characters" inputmode="text">
<fieldset><legend>评价 / rating</legend>${stars}</fieldset>
<label for="comment">意见（可选）/ comment (optional)</label><textarea id="comment" name="comment" rows="3" maxlength="1000"></textarea>
<button type="submit">确认 / Confirm</button></form></section>
<p class="inspector"><a id="inspector-check-in" href="/#/scan/${esc(p.code)}">执法人员签到 <span class="en">Inspectors: check in</span></a></p>`,
  );
}

/** A one-message page: the answer to a form, a retired or unknown code. */
export function messageHtml(title: string, body: string): string {
  return shell(title, `<section class="message"><h1>${esc(title)}</h1>${body}</section>`);
}

export const retiredHtml = (retiredOn: string) =>
  messageHtml('此二维码已停用 / this code was retired', `<p>该二维码已于 ${esc(retiredOn)} 停用，请扫描现场张贴的新二维码。</p><p class="en">This code was retired on ${esc(retiredOn)}. Please scan the new code posted on site.</p>`);

export const unknownHtml = () => messageHtml('未找到该二维码 / unknown code', '<p>请确认二维码完整清晰后重新扫描。</p><p class="en">No site has this code. Check the code and scan again.</p>');

export const receiptHtml = (trackingCode: string) =>
  messageHtml(
    '已收到您的投诉 / complaint received',
    `<p>请保存查询码，凭码查询处理进度：</p><p class="mono" id="tracking-code">${esc(trackingCode)}</p>
<p><a id="track" href="/public/complaints/${esc(trackingCode)}">查询处理进度 / check its state</a></p><p class="en">Keep this code: it is the only way to look up the state of your complaint.</p>`,
  );

export const trackHtml = (t: { stateZh: string; state: string; receivedOn: string }) =>
  messageHtml('投诉处理进度 / complaint state', `<p>受理日期 / received：${esc(t.receivedOn)}</p><p>状态 / state：<strong id="state">${esc(t.stateZh)}</strong> <span class="en">${esc(t.state.replace('_', ' '))}</span></p>`);

export const SCAN_CSS = `body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1d2733;background:#f6f7f9;font-size:17px;line-height:1.5}
header{background:#9f1c1c;color:#fff;padding:.7em 1em;font-weight:600}header .en{color:#f6dcdc}main{max-width:40em;margin:0 auto;padding:.5em 1em}
footer{max-width:40em;margin:1.5em auto;padding:0 1em;font-size:.85em}section{background:#fff;border-radius:8px;padding:.8em 1em;margin:.8em 0;box-shadow:0 1px 2px #0002}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:.2em 0 .5em}.en{color:#667;font-size:.85em;font-weight:normal}.muted{color:#556}
label{display:block;margin:.7em 0 .2em;font-weight:600}input,select,textarea,button{font:inherit;width:100%;box-sizing:border-box;padding:.55em;border:1px solid #b8c0cc;border-radius:6px}
button{margin-top:1em;background:#9f1c1c;color:#fff;border:0;font-weight:600;min-height:3em}fieldset{border:1px solid #d5d9e0;border-radius:6px;margin:.7em 0}
label.star{display:inline-block;width:auto;margin:.2em .6em .2em 0;font-weight:normal}label.star input{width:auto}.rating{color:#c77700}.confirmed{color:#1d6b2e}
ul.results{padding-left:1.2em}.mono{font-family:ui-monospace,monospace;word-break:break-all;font-size:1.1em;background:#f1f3f6;padding:.4em}.inspector{text-align:center}.error{color:#9f1c1c}`;
