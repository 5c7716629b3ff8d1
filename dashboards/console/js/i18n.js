// Console text in zh-CN and en, and dates, relative times and numbers through Intl.
//
// How a page adds its keys (risk, alarm quality, evidence...): keep them in the page's own
// module and register them once at import time, keys prefixed with the page's name:
//
//   import { addMessages, t } from '../i18n.js';
//   addMessages({
//     'zh-CN': { 'risk.title': '风险分级', 'risk.count': '{n} 家企业' },
//     en: { 'risk.title': 'Risk classification', 'risk.count': '{n} enterprises' },
//   });
//   h('h1', {}, t('risk.title'));  t('risk.count', { n: 12 })  // numbers in params are formatted
//
// Every key needs both languages (a missing zh-CN key falls back to en, a missing en key
// shows the key itself, so gaps are visible). A value may be a function (params) => string
// for plurals. Render from t() every time a view draws: a language switch re-renders the
// current view (subscribe with onLocaleChange for anything drawn outside a view).
import en from './messages/en.js';
import zhCN from './messages/zh-CN.js';

export const LOCALES = ['zh-CN', 'en'];
const STORE_KEY = 'gw.console.locale';
const catalogues = { 'zh-CN': { ...zhCN }, en: { ...en } };
const listeners = new Set();

/** The remembered choice, else the first browser language we have, else zh-CN when any zh is listed. */
export function detectLocale(languages = navigator.languages ?? [navigator.language], saved = safeStorage()?.getItem(STORE_KEY)) {
  if (LOCALES.includes(saved)) return saved;
  for (const lang of languages) {
    const l = String(lang).toLowerCase();
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return 'en';
}

function safeStorage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

let current = detectLocale();
applyDocument();

export function locale() {
  return current;
}

export function setLocale(next) {
  if (!LOCALES.includes(next) || next === current) return;
  current = next;
  safeStorage()?.setItem(STORE_KEY, next);
  applyDocument();
  for (const l of listeners) l(next);
}

export function onLocaleChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function applyDocument() {
  if (typeof document === 'undefined') return;
  document.documentElement.lang = current;
  document.title = t('app.title');
}

/** Adds (or overrides) keys: { 'zh-CN': {...}, en: {...} }. */
export function addMessages(byLocale) {
  for (const [loc, messages] of Object.entries(byLocale)) {
    if (!catalogues[loc]) throw new Error(`unknown console locale ${loc}`);
    Object.assign(catalogues[loc], messages);
  }
}

/** Whether a key exists (for optional labels such as a metric's name). */
export function has(key) {
  return key in catalogues[current] || key in catalogues.en;
}

/** The text for `key` in the current language with {name} placeholders filled in. */
export function t(key, params = {}) {
  const value = catalogues[current][key] ?? catalogues.en[key];
  if (value === undefined) return key;
  const text = typeof value === 'function' ? value(params) : value;
  return text.replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in params)) return m;
    const v = params[name];
    return typeof v === 'number' ? fmtNumber(v) : String(v);
  });
}

/** `t(prefix + value)` when the catalogue has it, else the value with underscores as spaces. */
export function label(prefix, value) {
  if (value === null || value === undefined || value === '') return '—';
  const key = `${prefix}.${value}`;
  return has(key) ? t(key) : String(value).replaceAll('_', ' ');
}

// Formatters are cached per locale: building one costs far more than using it.
const cache = new Map();
function formatter(kind, options, make) {
  const k = `${current}|${kind}|${JSON.stringify(options)}`;
  let f = cache.get(k);
  if (!f) cache.set(k, (f = make(current, options)));
  return f;
}

/** The browser's time zone (IANA name), shown beside times and stated in exports. */
export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Date and 24 h time in the page's language and the browser's zone, e.g. 2026/12/01 20:15:03. */
export function fmtTime(ms, { seconds = true } = {}) {
  if (ms === null || ms === undefined) return '—';
  const opts = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(seconds ? { second: '2-digit' } : {}) };
  const f = formatter('dt', opts, (l, o) => new Intl.DateTimeFormat(l, o));
  if (current === 'zh-CN') return f.format(ms);
  // English: year-month-day as in the tables and exports, never the ambiguous 12/02/2026.
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`;
}

/** A short 24 h clock time or date for chart axes. */
export function fmtAxis(ms, spanMs) {
  if (spanMs <= 36 * 3_600_000) return formatter('axis', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, (l, o) => new Intl.DateTimeFormat(l, o)).format(ms);
  const f = formatter('axisd', { month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' }, (l, o) => new Intl.DateTimeFormat(l, o));
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return current === 'zh-CN' ? `${p.month}/${p.day} ${p.hour}时` : `${p.month}-${p.day} ${p.hour}h`;
}

/** "5 minutes ago" / "5分钟前". */
export function fmtAgo(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return t('time.never');
  const s = Math.round((ms - now) / 1000);
  const rtf = formatter('rel', { numeric: 'auto' }, (l, o) => new Intl.RelativeTimeFormat(l, o));
  const abs = Math.abs(s);
  if (abs < 60) return rtf.format(Math.min(s, 0), 'second');
  if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86400), 'day');
}

/** A duration in ms as "3 h 5 min" in the page's language. */
export function fmtDuration(ms) {
  if (ms < 90_000) return t('time.seconds', { n: Math.max(0, Math.round(ms / 1000)) });
  const min = Math.round(ms / 60_000);
  if (min < 60) return t('time.minutes', { n: min });
  const h = Math.floor(min / 60);
  if (h < 48) return t('time.hoursMinutes', { h, m: min % 60 });
  return t('time.days', { n: Math.round(h / 24) });
}

/** Numbers as people read them: grouping, at most `digits` decimals, no float noise. */
export function fmtNumber(v, digits = 2) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return formatter('num', { maximumFractionDigits: digits }, (l, o) => new Intl.NumberFormat(l, o)).format(v);
}

/** A value with its unit in the page's language ("61.96 %LEL", "23.5 ℃"). */
export function fmtValue(v, unit) {
  const n = fmtNumber(v);
  if (n === '—' || !unit) return n;
  return `${n} ${unitLabel(unit)}`;
}

export function unitLabel(unit) {
  return has(`unit.${unit}`) ? t(`unit.${unit}`) : unit;
}
