// Event text in the page's language: the message built from the event's own fields through
// a catalogue template, so it localises; names of metrics with their units.
import { fmtDuration, fmtValue, label, locale, t } from './i18n.js';

/** Units per metric from GET /api/metrics, loaded once after sign-in. */
const units = new Map();
export function setMetricUnits(metrics) {
  for (const [name, info] of Object.entries(metrics ?? {})) units.set(name, info.unit);
}

export const unitOf = (metric) => (metric ? units.get(metric) ?? '' : '');
export const metricLabel = (metric) => label('metric', metric);
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
