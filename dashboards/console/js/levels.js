// A rule's alarm levels, as text and as the horizontal lines a chart draws.
import { fmtNumber, label, t } from './i18n.js';

/** The horizontal lines a level draws: one per finite bound (two for `outside`). */
export function levelLines(levels = []) {
  const lines = [];
  for (const l of levels) {
    const bounds = l.outside ?? [l.gte ?? l.gt, l.lte ?? l.lt].filter((v) => v !== undefined && v !== null);
    for (const value of bounds) lines.push({ severity: l.severity, value, label: `${label('severity', l.severity)} ${describeLevel(l)}` });
  }
  return lines;
}

export function describeLevel(l) {
  const parts = [];
  if (l.outside) parts.push(t('level.outside', { low: fmtNumber(l.outside[0]), high: fmtNumber(l.outside[1]) }));
  for (const [k, op] of [['gte', '≥'], ['gt', '>'], ['lte', '≤'], ['lt', '<']]) if (l[k] !== undefined && l[k] !== null) parts.push(`${op} ${fmtNumber(l[k])}`);
  return parts.join(t('level.and'));
}
