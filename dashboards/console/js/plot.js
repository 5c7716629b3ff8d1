// Time-series charts with uPlot (served by the gateway from node_modules, no CDN). Views
// import this module when they first draw, so uPlot is not on the sign-in page's path.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { levelLines } from './levels.js';

const SEVERITY_COLOURS = { critical: '#b3261e', major: '#b44d00', warning: '#7a5c00', info: '#1f5fa8' };
const SERIES_COLOURS = ['#174a7c', '#2e7d32', '#6a1b9a', '#00695c', '#5d4037'];

/**
 * Draws `series` ([{ label, points: [{ time, value }] }]) into `container`, with level lines
 * and a vertical marker (ms) if given. Returns a function that removes the chart.
 */
export function drawChart(container, { series, levels = [], marker = null, unit = '' }) {
  const tables = series.map((s) => [s.points.map((p) => p.time / 1000), s.points.map((p) => p.value)]);
  const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
  const lines = levelLines(levels);
  const xs = data[0];
  for (const line of lines) data.push(xs.map(() => line.value));

  const opts = {
    width: Math.max(container.clientWidth, 320),
    height: 280,
    scales: { x: { time: true } },
    axes: [{}, { label: unit, size: 60 }],
    series: [
      {},
      ...series.map((s, i) => ({ label: s.label, stroke: SERIES_COLOURS[i % SERIES_COLOURS.length], width: 2, spanGaps: false })),
      ...lines.map((l) => ({ label: l.label, stroke: SEVERITY_COLOURS[l.severity] ?? '#555', dash: [6, 4], width: 1.5, points: { show: false } })),
    ],
    hooks: marker === null ? {} : { draw: [(u) => drawMarker(u, marker / 1000)] },
  };
  const chart = new uPlot(opts, data, container);
  const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(container.clientWidth, 320), height: 280 }));
  resize.observe(container);
  return () => {
    resize.disconnect();
    chart.destroy();
  };
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
export function summarise(series) {
  const values = series.flatMap((s) => s.points.map((p) => p.value)).filter((v) => v !== null);
  const n = values.length;
  if (n === 0) return 'No readings in this range.';
  return `${n} reading${n === 1 ? '' : 's'}; lowest ${Math.min(...values)}, highest ${Math.max(...values)}.`;
}
