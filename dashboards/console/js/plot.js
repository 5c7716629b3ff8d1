// Time-series charts with uPlot (served by the gateway from node_modules, no CDN). Views
// import this module when they first draw, so uPlot is not on the sign-in page's path.
// Honest by construction: the x axis is the range asked for, not the data's extent; a
// silence longer than the device's usual interval is drawn as a gap; the y axis names the
// unit; axis labels are 24 h clock times in the page's language and zone.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { fmtAxis, fmtNumber, fmtTime, t, unitLabel } from './i18n.js';
import { levelLines } from './levels.js';

const SEVERITY_COLOURS = { critical: '#b3261e', major: '#b44d00', warning: '#7a5c00', info: '#1f5fa8' };
const SERIES_COLOURS = ['#174a7c', '#2e7d32', '#6a1b9a', '#00695c', '#5d4037'];
// A silence this many times the usual interval is a gap (and at least this long).
const GAP_FACTOR = 2.5;
const MIN_GAP_MS = 5_000;

/** The median spacing of the points (ms), or null with fewer than three. */
export function usualInterval(points) {
  if (points.length < 3) return null;
  const d = [];
  for (let i = 1; i < points.length; i++) d.push(points[i].time - points[i - 1].time);
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)];
}

/** The points with a null inserted inside every silence longer than the usual interval allows. */
export function withGaps(points) {
  const usual = usualInterval(points);
  if (usual === null) return { points, gaps: 0 };
  const limit = Math.max(usual * GAP_FACTOR, MIN_GAP_MS);
  const out = [];
  let gaps = 0;
  for (let i = 0; i < points.length; i++) {
    if (i > 0 && points[i].time - points[i - 1].time > limit) {
      out.push({ time: points[i - 1].time + usual, value: null });
      gaps++;
    }
    out.push(points[i]);
  }
  return { points: out, gaps };
}

/**
 * Draws `series` ([{ label, points: [{ time, value }] }]) into `container` over [since, until]
 * (ms), with level lines and a vertical marker (ms) if given. Returns { remove, gaps }.
 */
export function drawChart(container, { series, levels = [], marker = null, unit = '', since, until }) {
  let gaps = 0;
  const tables = series.map((s) => {
    const g = withGaps(s.points);
    gaps += g.gaps;
    return [g.points.map((p) => p.time / 1000), g.points.map((p) => p.value)];
  });
  const joined = tables.length === 1 ? tables[0] : uPlot.join(tables);
  // Level lines span the whole range, also where there are no readings: the range's ends are
  // added as x values with no reading.
  const data = withEnds(joined, since / 1000, until / 1000);
  const lines = levelLines(levels);
  for (const line of lines) data.push(data[0].map(() => line.value));

  const spanMs = until - since;
  const unitText = unit ? unitLabel(unit) : '';
  const opts = {
    width: Math.max(container.clientWidth - 16, 280),
    height: 280,
    scales: { x: { time: true, range: () => [since / 1000, until / 1000] } },
    axes: [
      { values: (_u, splits) => splits.map((s) => fmtAxis(s * 1000, spanMs)), size: 40 },
      { label: unitText, size: 64, values: (_u, splits) => splits.map((v) => fmtNumber(v)) },
    ],
    series: [
      { value: (_u, v) => (v === null ? '—' : fmtTime(v * 1000)) },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: SERIES_COLOURS[i % SERIES_COLOURS.length],
        width: 2,
        spanGaps: false,
        value: (_u, v) => (v === null || v === undefined ? '—' : `${fmtNumber(v)}${unitText ? ` ${unitText}` : ''}`),
      })),
      ...lines.map((l) => ({ label: l.label, stroke: SEVERITY_COLOURS[l.severity] ?? '#555', dash: [6, 4], width: 1.5, points: { show: false } })),
    ],
    hooks: marker === null ? {} : { draw: [(u) => drawMarker(u, marker / 1000)] },
  };
  const chart = new uPlot(opts, data, container);
  const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(container.clientWidth - 16, 280), height: 280 }));
  resize.observe(container);
  return {
    gaps,
    remove: () => {
      resize.disconnect();
      chart.destroy();
    },
  };
}

function withEnds([xs, ...ys], from, to) {
  const head = xs.length === 0 || xs[0] > from;
  const tail = xs.length === 0 || xs.at(-1) < to;
  return [
    [...(head ? [from] : []), ...xs, ...(tail ? [to] : [])],
    ...ys.map((col) => [...(head ? [null] : []), ...col, ...(tail ? [null] : [])]),
  ];
}

function drawMarker(u, x) {
  const px = u.valToPos(x, 'x', true);
  if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) return;
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = '#b3261e';
  ctx.lineWidth = 2;
  ctx.setLineDash([2, 3]);
  ctx.beginPath();
  ctx.moveTo(px, u.bbox.top);
  ctx.lineTo(px, u.bbox.top + u.bbox.height);
  ctx.stroke();
  ctx.restore();
}

/** A one-line text summary of the series, for screen readers and as the chart's caption. */
export function summarise(series, unit = '') {
  const values = series.flatMap((s) => s.points.map((p) => p.value)).filter((v) => v !== null);
  const n = values.length;
  if (n === 0) return t('plot.none');
  const u = unit ? ` ${unitLabel(unit)}` : '';
  return t('plot.summary', { n, min: `${fmtNumber(Math.min(...values))}${u}`, max: `${fmtNumber(Math.max(...values))}${u}` });
}
