// Plain-text tables for the bench report: a title, a header row and right-aligned cells.

export type Cell = string | number | null | undefined;

export function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const mib = (bytes: number) => fmt(bytes / 2 ** 20, 1);

export function table(title: string, head: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : (c ?? '-'))));
  const widths = head.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  // The first column (the label) is left-aligned, figures right-aligned.
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [`\n${title}`, line(head), rule, ...text.map(line)].join('\n') + '\n';
}

export const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
