// On the event page of a complaint sent through a site's code (issue 17): what the sender
// left, including the contact to call back, for the staff who act on the event (operator and
// above; the API refuses the rest). The contact is in no event field, so it is read here only.
import { clear, errorBox, fmtTime, h } from '../dom.js';
import { addMessages, t } from '../i18n.js';

addMessages({
  'zh-CN': {
    'complaint.title': '投诉举报信息',
    'complaint.category': '类别',
    'complaint.received': '受理时间',
    'complaint.contact': '联系方式',
    'complaint.anonymous': '匿名（未留联系方式）',
    'complaint.note': '联系方式仅供回访，请勿外传。',
    'complaint.cat.safety': '安全隐患',
    'complaint.cat.environment': '环境污染',
    'complaint.cat.food': '食品安全',
    'complaint.cat.conduct': '执法作风',
    'complaint.cat.other': '其他',
  },
  en: {
    'complaint.title': 'Complaint',
    'complaint.category': 'Category',
    'complaint.received': 'Received',
    'complaint.contact': 'Contact',
    'complaint.anonymous': 'Anonymous (no contact left)',
    'complaint.note': 'The contact is for calling back only; do not pass it on.',
    'complaint.cat.safety': 'Safety hazard',
    'complaint.cat.environment': 'Pollution',
    'complaint.cat.food': 'Food safety',
    'complaint.cat.conduct': 'Conduct of officials',
    'complaint.cat.other': 'Other',
  },
});

const STAFF = new Set(['operator', 'supervisor', 'admin']);

/** The complaint's section, filled when it loads; null for other events or roles that may not read it. */
export function complaintSection(api, me, event) {
  if (event.item !== 'COMPLAINT' || !STAFF.has(me.role)) return null;
  const box = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  api
    .get(`/api/events/${encodeURIComponent(event.id)}/complaint`)
    .then((c) =>
      clear(box).append(
        h(
          'dl',
          { class: 'facts', id: 'complaint' },
          h('dt', {}, t('complaint.category')),
          h('dd', {}, t(`complaint.cat.${c.category}`)),
          h('dt', {}, t('complaint.received')),
          h('dd', {}, fmtTime(c.receivedAt)),
          h('dt', {}, t('complaint.contact')),
          h('dd', { id: 'complaint-contact' }, c.contact ?? t('complaint.anonymous')),
        ),
        c.contact ? h('p', { class: 'small muted' }, t('complaint.note')) : null,
      ),
    )
    .catch((err) => clear(box).append(errorBox(err.message)));
  return h('section', { 'aria-labelledby': 'h-complaint' }, h('h2', { id: 'h-complaint' }, t('complaint.title')), box);
}
