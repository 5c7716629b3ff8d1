// A rule's alarm levels, as text and as the horizontal lines a chart draws.

/** The horizontal lines a level draws: one per finite bound (two for `outside`). */
export function levelLines(levels = []) {
  const lines = [];
  for (const l of levels) {
    const bounds = l.outside ?? [l.gte ?? l.gt, l.lte ?? l.lt].filter((v) => v !== undefined && v !== null);
    for (const value of bounds) lines.push({ severity: l.severity, value, label: `${l.severity} ${describeLevel(l)}` });
  }
  return lines;
}

export function describeLevel(l) {
  const parts = [];
  if (l.outside) parts.push(`outside ${l.outside[0]}–${l.outside[1]}`);
  for (const [k, op] of [['gte', '≥'], ['gt', '>'], ['lte', '≤'], ['lt', '<']]) if (l[k] !== undefined && l[k] !== null) parts.push(`${op} ${l[k]}`);
  return parts.join(' and ');
}
