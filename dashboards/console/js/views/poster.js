// A site's QR poster for printing on A4 (issue 17): name, credit code, the QR of its public
// page and short instructions in Chinese. Supervisors rotate the code here (old posters then
// say "retired"). The QR is fetched with the token and drawn inline (no image URL to leak).
import { clear, errorBox, h } from '../dom.js';
import { addMessages, label, t } from '../i18n.js';
import { fetchSvg, useScanStyles } from './scan-common.js';

addMessages({
  'zh-CN': {
    'poster.title': '扫码监管二维码',
    'poster.back': '返回企业',
    'poster.print': '打印海报（A4）',
    'poster.png': '下载二维码 PNG（印刷用）',
    'poster.credit': '统一社会信用代码',
    'poster.heading': '扫码监管',
    'poster.how1': '微信或手机相机扫码，无需登录',
    'poster.how2': '查看本企业公开检查结果',
    'poster.how3': '投诉举报（可匿名、可上传照片）',
    'poster.how4': '执法人员扫码签到；企业凭检查确认码评价检查',
    'poster.url': '网址',
    'poster.noPublicUrl': '未设置 GATEWAY_PUBLIC_URL：二维码使用您打开控制台的地址，请确认手机能访问该地址。',
    'poster.rotate': '更换二维码',
    'poster.rotateNote': '更换原因（必填，记入审计）',
    'poster.rotated': '已更换：旧二维码扫码后将显示“已停用”，请张贴新海报。',
    'poster.loadFailed': '无法加载二维码：{message}',
  },
  en: {
    'poster.title': 'Site QR code',
    'poster.back': 'Back to the site',
    'poster.print': 'Print poster (A4)',
    'poster.png': 'Download the QR as PNG (for a print shop)',
    'poster.credit': 'Unified social credit code',
    'poster.heading': 'Scan-code supervision',
    'poster.how1': 'Scan with WeChat or the phone camera, no sign-in',
    'poster.how2': 'See the published inspection results of this enterprise',
    'poster.how3': 'Report a problem (anonymous allowed, with pictures)',
    'poster.how4': 'Inspectors check in; the enterprise confirms and rates a visit with its code',
    'poster.url': 'Address',
    'poster.noPublicUrl': 'GATEWAY_PUBLIC_URL is not set: the QR uses the address you opened the console at; make sure phones can reach it.',
    'poster.rotate': 'Replace the code',
    'poster.rotateNote': 'Why (required, audited)',
    'poster.rotated': 'Replaced: the old code now says "retired"; put up the new poster.',
    'poster.loadFailed': 'Could not load the QR code: {message}',
  },
});

/** The PNG fetched with the token, saved through a temporary link. */
async function downloadPng(api, id) {
  const res = await fetch(`/api/sites/${id}/qr.png?size=1024`, { headers: { authorization: `Bearer ${api.token}` }, cache: 'no-store' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `qr-${id}.png`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function renderPoster(main, { api, me, sites, failed }, id) {
  useScanStyles();
  const box = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  main.append(h('p', { class: 'no-print' }, h('a', { href: `#/sites/${id}` }, t('poster.back'))), box);

  async function draw(notice) {
    const [code, svg] = await Promise.all([api.get(`/api/sites/${id}/code`), fetchSvg(api, `/api/sites/${id}/qr.svg`)]);
    const site = sites.get(id) ?? { id, name: id, sector: 'other', creditCode: null };
    const canRotate = me.role === 'supervisor' || me.role === 'admin';
    const note = h('input', { id: 'rotate-note', name: 'note', required: true, maxlength: 4000 });
    const rotate = h(
      'form',
      { class: 'no-print rotate', onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          await api.post(`/api/sites/${id}/code/rotate`, { note: note.value.trim() });
          await draw(t('poster.rotated'));
        } catch (err) {
          rotate.append(errorBox(err.message));
        }
      } },
      h('label', { for: 'rotate-note' }, t('poster.rotateNote')),
      note,
      h('button', { type: 'submit' }, t('poster.rotate')),
    );
    const parts = [
      notice ? h('p', { class: 'notice no-print', role: 'status' }, notice) : null,
      code.publicUrlConfigured ? null : h('p', { class: 'notice no-print' }, t('poster.noPublicUrl')),
      h(
        'p',
        { class: 'no-print' },
        h('button', { type: 'button', class: 'primary', onclick: () => window.print() }, t('poster.print')),
        ' ',
        h('button', { type: 'button', id: 'poster-png', onclick: () => downloadPng(api, id).catch((err) => box.append(errorBox(err.message))) }, t('poster.png')),
      ),
      h(
        'article',
        { class: 'poster', id: 'poster', dataset: { url: code.url } },
        h('h1', {}, t('poster.heading')),
        h('p', { class: 'poster-site' }, site.name),
        h('p', { class: 'poster-credit' }, `${t('poster.credit')}：${site.creditCode ?? '—'}`),
        h('p', { class: 'poster-sector' }, label('sector', site.sector)),
        h('div', { class: 'poster-qr' }, svg),
        h('ol', { class: 'poster-how' }, ...['how1', 'how2', 'how3', 'how4'].map((k) => h('li', {}, t(`poster.${k}`)))),
        h('p', { class: 'poster-url' }, `${t('poster.url')}：`, h('code', {}, code.url)),
      ),
      canRotate ? rotate : null,
    ];
    clear(box).append(...parts.filter(Boolean));
  }
  draw().catch((err) => {
    failed();
    clear(box).append(errorBox(t('poster.loadFailed', { message: err.message })));
  });
}
