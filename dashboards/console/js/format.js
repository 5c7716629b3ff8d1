// Event text in the page's language: the message built from the event's own fields through
// a catalogue template, so it localises; names of metrics with their units.
import { fmtDuration, fmtValue, label, locale, t } from './i18n.js';

/** Units per metric from GET /api/metrics, loaded once after sign-in. */
const units = new Map();
export function setMetricUnits(metrics) {
  for (const [name, info] of Object.entries(metrics ?? {})) units.set(name, info.unit);
}

// HJ 212 pollutant factors (GET /api/hj212/factors): Chinese and English name and unit per
// 2017 code. A logger's readings are named <code>[_zs][_avg|_min|_max|_cou] (gateway/src/hj212/
// readings.ts), so a name such as w01018_avg finds its factor and the kind of value.
const factors = new Map();
export function setFactors(table) {
  for (const [code, f] of Object.entries(table ?? {})) factors.set(code.toLowerCase(), f);
}
const HJ212_METRIC = /^([a-z]\d{5})((?:_zs)?(?:_avg|_min|_max|_cou)?)$/;
function factorOf(metric) {
  const m = HJ212_METRIC.exec(metric ?? '');
  const f = m ? factors.get(m[1]) : undefined;
  return f ? { ...f, code: m[1], kind: m[2] || '_rtd' } : null;
}
/** Whether the metric is an HJ 212 factor's (its name alone is a code nobody reads). */
export const isFactorMetric = (metric) => factorOf(metric) !== null;

export const unitOf = (metric) => (metric ? units.get(metric) || factorOf(metric)?.unit || '' : '');
/** "化学需氧量（w01018）平均值" / "COD (w01018), average" for a factor; the catalogue's name otherwise. */
export function metricLabel(metric) {
  const f = factorOf(metric);
  if (!f) return label('metric', metric);
  return t('hj212.metric', { name: locale() === 'zh-CN' ? f.zh : f.en, code: f.code, kind: t(`hj212.kind${f.kind}`) });
}
export const metricValue = (metric, value) => fmtValue(value, unitOf(metric));

/** The event's message from a template; English keeps the gateway's own wording, which says more. */
export function eventMessage(e) {
  if (locale() === 'en' && e.message) return e.message;
  // Detection events carry the count of detections and the count the rule needs.
  if (e.detectionType) return t('message.detection', { type: label('detection', e.detectionType), n: e.value, count: e.threshold ?? 1 });
  if (e.metric && e.threshold !== null && e.threshold !== undefined) return t('message.threshold', { metric: metricLabel(e.metric), value: metricValue(e.metric, e.value), threshold: metricValue(e.metric, e.threshold) });
  if (e.metric) return t('message.value', { metric: metricLabel(e.metric), value: metricValue(e.metric, e.value) });
  // Offline events carry the silence and the limit in seconds.
  if (!e.metric && e.threshold !== null && e.threshold !== undefined) return t('message.offline', { device: e.device, duration: fmtDuration(e.value * 1000), limit: fmtDuration(e.threshold * 1000) });
  return e.message;
}

/** Rule titles in Chinese, from GET /api/rules (`titleZh`), English beside. */
const ruleTitles = new Map();
export function setRuleTitles(rules) {
  for (const r of rules ?? []) if (r.titleZh) ruleTitles.set(r.id, r.titleZh);
}
export function eventTitle(e) {
  if (locale() === 'zh-CN' && ruleTitles.has(e.rule)) return ruleTitles.get(e.rule);
  return e.title;
}
