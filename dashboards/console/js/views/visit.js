// The inspector's phone on a visit (issue 17): scanning a site's code opens #/scan/<code>;
// a drawn inspector checks in there (with the browser's location if allowed), records each
// item with pictures, finishes and shows the enterprise its one-time confirmation code.
import { clear, errorBox, fmtTime, h } from '../dom.js';
import { addMessages, t } from '../i18n.js';
import { postBytes, useScanStyles } from './scan-common.js';

addMessages({
  'zh-CN': {
    'visit.title': '现场检查',
    'visit.mine': '我的检查任务',
    'visit.none': '暂无抽中的检查任务',
    'visit.notDrawn': '您未被抽中检查该企业，不能签到。',
    'visit.retired': '该二维码已停用，请扫描现场张贴的新二维码。',
    'visit.unknown': '未找到该二维码对应的企业。',
    'visit.checkIn': '签到（记录时间与位置）',
    'visit.checkedIn': '已签到 {time}',
    'visit.locating': '正在获取位置…',
    'visit.noLocation': '未取得位置（未授权或不可用），仅记录时间。',
    'visit.items': '检查事项',
    'visit.outcome.compliant': '合格',
    'visit.outcome.non_compliant': '不合格',
    'visit.outcome.rectification_ordered': '责令整改',
    'visit.deadline': '整改期限',
    'visit.note': '说明（可选）',
    'visit.pictures': '现场照片',
    'visit.addPicture': '拍照或选择照片',
    'visit.uploaded': '已上传 {n} 张',
    'visit.finish': '完成检查并生成确认码',
    'visit.code': '企业确认码',
    'visit.codeHelp': '请企业负责人扫描现场二维码，在“企业确认检查”中输入此码并评价。有效期至 {time}。',
    'visit.confirmed': '企业已确认 {time}',
    'visit.recorded': '检查结果已提交',
    'visit.reissue': '重新生成确认码',
    'visit.failed': '操作失败：{message}',
  },
  en: {
    'visit.title': 'On-site inspection',
    'visit.mine': 'My inspection visits',
    'visit.none': 'No visits drawn for you',
    'visit.notDrawn': 'You were not drawn to inspect this site: no check-in.',
    'visit.retired': 'This code was retired; scan the new code posted on site.',
    'visit.unknown': 'No site has this code.',
    'visit.checkIn': 'Check in (time and location)',
    'visit.checkedIn': 'Checked in {time}',
    'visit.locating': 'Getting the location…',
    'visit.noLocation': 'No location (not allowed or not available): only the time is recorded.',
    'visit.items': 'Items to check',
    'visit.outcome.compliant': 'Compliant',
    'visit.outcome.non_compliant': 'Non-compliant',
    'visit.outcome.rectification_ordered': 'Rectification ordered',
    'visit.deadline': 'Rectify by',
    'visit.note': 'Note (optional)',
    'visit.pictures': 'Pictures',
    'visit.addPicture': 'Take or choose a picture',
    'visit.uploaded': '{n} uploaded',
    'visit.finish': 'Finish and show the confirmation code',
    'visit.code': 'Enterprise confirmation code',
    'visit.codeHelp': 'The enterprise scans the code on site and enters this under "confirm an inspection", with a rating. Valid until {time}.',
    'visit.confirmed': 'Confirmed by the enterprise {time}',
    'visit.recorded': 'Results recorded',
    'visit.reissue': 'Show a new confirmation code',
    'visit.failed': 'Failed: {message}',
  },
});

const OUTCOMES = ['compliant', 'non_compliant', 'rectification_ordered'];

/** The browser's location within 10 s, or null (refused, unavailable, too slow). */
function locate() {
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((done) =>
    navigator.geolocation.getCurrentPosition(
      (p) => done({ latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy: p.coords.accuracy }),
      () => done(null),
      { enableHighAccuracy: true, timeout: 10_000, maximumAge: 60_000 },
    ),
  );
}

export function renderVisits(main, { api, failed }) {
  useScanStyles();
  const box = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  main.append(h('h1', {}, t('visit.mine')), box);
  api
    .get('/api/inspections/visits/mine')
    .then(({ visits }) => {
      if (!visits.length) return clear(box).append(h('p', { class: 'muted' }, t('visit.none')));
      clear(box).append(h('ul', { class: 'visits' }, ...visits.map((v) => h('li', {}, h('a', { href: `#/visit/${v.planId}/${v.site}` }, v.siteName), h('span', { class: 'small muted' }, ` ${v.title}`)))));
    })
    .catch((err) => (failed(), clear(box).append(errorBox(err.message))));
}

export function renderScan(main, ctx, code) {
  useScanStyles();
  const box = h('div', { class: 'phone' }, h('p', { class: 'muted' }, t('app.loading')));
  main.append(box);
  (async () => {
    let found;
    try {
      found = await ctx.api.get(`/api/site-codes/${encodeURIComponent(code)}`);
    } catch (err) {
      if (err.status === 404) return clear(box).append(errorBox(t('visit.unknown')));
      throw err;
    }
    if (found.state === 'retired') return clear(box).append(h('h1', {}, found.name), errorBox(t('visit.retired')));
    const { visits } = await ctx.api.get('/api/inspections/visits/mine').catch((err) => (err.status === 403 ? { visits: [] } : Promise.reject(err)));
    const mine = visits.filter((v) => v.site === found.site);
    if (!mine.length) return clear(box).append(h('h1', {}, found.name), errorBox(t('visit.notDrawn')));
    clear(box);
    for (const v of mine) box.append(visitPanel(ctx, v, code));
  })().catch((err) => (ctx.failed(), clear(box).append(errorBox(t('visit.failed', { message: err.message })))));
}

export function renderVisit(main, ctx, planId, site) {
  useScanStyles();
  const box = h('div', { class: 'phone' }, h('p', { class: 'muted' }, t('app.loading')));
  main.append(box);
  ctx.api
    .get('/api/inspections/visits/mine')
    .then(({ visits }) => {
      const v = visits.find((x) => x.planId === planId && x.site === site);
      clear(box).append(v ? visitPanel(ctx, v, null) : errorBox(t('visit.notDrawn')));
    })
    .catch((err) => (ctx.failed(), clear(box).append(errorBox(err.message))));
}

/** One visit: check-in, then items, pictures and finish, then the confirmation code. */
function visitPanel({ api }, v, siteCode) {
  const panel = h('section', { class: 'visit card', dataset: { plan: v.planId, site: v.site } });
  const problem = h('div', { class: 'problem', role: 'alert' });
  const fail = (err) => (clear(problem).append(errorBox(t('visit.failed', { message: err.message }))), null);
  const state = { checkedInAt: v.checkedInAt, recorded: v.recordedItems.length === v.items.length && v.items.length > 0, confirmedAt: v.confirmedAt, code: null, pictures: [] };

  function showCode(c) {
    return h('div', { class: 'confirm-code', role: 'status' }, h('h2', {}, t('visit.code')), h('p', { class: 'big-code', id: 'confirm-code' }, c.code), h('p', { class: 'small' }, t('visit.codeHelp', { time: fmtTime(c.expiresAt) })));
  }

  async function finish(items, note) {
    if (!state.recorded) {
      await api.post(`/api/inspections/plans/${v.planId}/visits/${v.site}/records`, { endedAt: Date.now(), items, ...(state.pictures.length ? { pictures: state.pictures } : {}), ...(note ? { note } : {}) });
      state.recorded = true;
    }
    state.code = await api.post(`/api/inspections/plans/${v.planId}/visits/${v.site}/finish`, {});
    draw();
  }

  function itemsForm() {
    const rows = v.items.map((item) => {
      const outcome = h('select', { name: `outcome-${item}`, 'aria-label': item }, ...OUTCOMES.map((o) => h('option', { value: o }, t(`visit.outcome.${o}`))));
      const deadline = h('input', { type: 'date', name: `deadline-${item}`, hidden: true, 'aria-label': t('visit.deadline') });
      outcome.addEventListener('change', () => (deadline.hidden = outcome.value !== 'rectification_ordered'));
      const note = h('input', { name: `note-${item}`, maxlength: 4000, placeholder: t('visit.note') });
      return { item, outcome, deadline, note, el: h('li', { class: 'item', dataset: { item } }, h('strong', {}, item), outcome, deadline, note) };
    });
    const count = h('span', { class: 'small muted', id: 'uploaded' }, '');
    const file = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp', capture: 'environment', id: 'picture' });
    file.addEventListener('change', async () => {
      for (const f of file.files) {
        const r = await postBytes(api, `/api/inspections/plans/${v.planId}/visits/${v.site}/pictures`, f).catch(fail);
        if (r) state.pictures.push(r.sha256);
      }
      count.textContent = t('visit.uploaded', { n: state.pictures.length });
      file.value = '';
    });
    const note = h('textarea', { id: 'visit-note', rows: 2, maxlength: 4000, placeholder: t('visit.note') });
    const form = h(
      'form',
      { class: 'items' },
      h('h2', {}, t('visit.items')),
      h('ol', {}, ...rows.map((r) => r.el)),
      h('h2', {}, t('visit.pictures')),
      h('label', { for: 'picture' }, t('visit.addPicture')),
      file,
      count,
      note,
      h('button', { type: 'submit', class: 'primary', id: 'finish' }, t('visit.finish')),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const items = rows.map((r) => ({
        item: r.item,
        outcome: r.outcome.value,
        ...(r.outcome.value === 'rectification_ordered' && r.deadline.value ? { deadline: Date.parse(`${r.deadline.value}T23:59:59+08:00`) } : {}),
        ...(r.note.value.trim() ? { note: r.note.value.trim() } : {}),
      }));
      finish(items, note.value.trim()).catch(fail);
    });
    return form;
  }

  function draw() {
    const head = [h('h1', {}, v.siteName), h('p', { class: 'small muted' }, v.title)];
    if (state.confirmedAt) return clear(panel).append(...head, h('p', { class: 'notice', id: 'confirmed' }, t('visit.confirmed', { time: fmtTime(state.confirmedAt) })));
    if (state.code) return clear(panel).append(...head, showCode(state.code), problem);
    if (state.recorded) {
      return clear(panel).append(...head, h('p', {}, t('visit.recorded')), h('button', { type: 'button', class: 'primary', onclick: () => finish([], '').catch(fail) }, t('visit.reissue')), problem);
    }
    if (state.checkedInAt) return clear(panel).append(...head, h('p', { class: 'notice', id: 'checked-in' }, t('visit.checkedIn', { time: fmtTime(state.checkedInAt) })), itemsForm(), problem);
    if (!siteCode) return clear(panel).append(...head, errorBox(t('visit.notDrawn')));
    const status = h('p', { class: 'small muted', role: 'status' });
    const button = h('button', { type: 'button', class: 'primary', id: 'check-in' }, t('visit.checkIn'));
    button.addEventListener('click', async () => {
      button.disabled = true;
      status.textContent = t('visit.locating');
      const location = await locate();
      status.textContent = location ? '' : t('visit.noLocation');
      const r = await api.post(`/api/inspections/plans/${v.planId}/visits/${v.site}/check-in`, { siteCode, ...(location ? { location } : {}) }).catch(fail);
      button.disabled = false;
      if (r) ((state.checkedInAt = r.at), draw());
    });
    clear(panel).append(...head, button, status, problem);
  }
  draw();
  return panel;
}
