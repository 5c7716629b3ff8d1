// Charts per device and metric from /api/readings, with a time-range picker. The choice is
// kept in the hash (#/charts?site=..&device=..&metric=..&range=..) so it can be bookmarked.
import { qs } from '../api.js';
import { clear, errorBox, h, select } from '../dom.js';

const RANGES = [
  ['15m', 'Last 15 minutes', 15 * 60_000],
  ['1h', 'Last hour', 3_600_000],
  ['6h', 'Last 6 hours', 6 * 3_600_000],
  ['24h', 'Last 24 hours', 24 * 3_600_000],
  ['7d', 'Last 7 days', 7 * 24 * 3_600_000],
];

export function renderCharts(main, { api }, query) {
  const choice = { site: query.get('site') ?? '', device: query.get('device') ?? '', metric: query.get('metric') ?? '', range: query.get('range') ?? '1h' };
  const form = h('form', { class: 'filters', 'aria-label': 'Chart', onsubmit: (e) => (e.preventDefault(), show()) });
  const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Readings chart' });
  const caption = h('p', { class: 'small muted', role: 'status' });
  main.append(h('h1', {}, 'Charts'), form, chartBox, caption);
  let sites = [];
  let removeChart = null;
  let gone = false;

  function metricsOf(site, deviceId) {
    const devices = site ? site.devices.filter((d) => !deviceId || d.id === deviceId) : [];
    const names = new Set(devices.flatMap((d) => Object.keys(d.latest)));
    if (choice.metric) names.add(choice.metric);
    return [...names].sort();
  }

  function drawForm() {
    const site = sites.find((s) => s.id === choice.site);
    const metrics = metricsOf(site, choice.device);
    if (!metrics.includes(choice.metric)) choice.metric = metrics[0] ?? '';
    const pick = (key, resetBelow) => (ev) => {
      choice[key] = ev.target.value;
      for (const k of resetBelow) choice[k] = '';
      drawForm();
      show();
    };
    clear(form).append(
      select('c-site', 'Site', [['', 'Choose a site'], ...sites.map((s) => [s.id, s.name])], choice.site, pick('site', ['device', 'metric'])),
      select('c-device', 'Device', [['', 'All devices'], ...(site?.devices ?? []).map((d) => d.id)], choice.device, pick('device', [])),
      select('c-metric', 'Metric', metrics.length ? metrics : [['', 'No readings yet']], choice.metric, pick('metric', [])),
      select('c-range', 'Time range', RANGES.map(([v, label]) => [v, label]), choice.range, pick('range', [])),
      h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), h('button', { type: 'submit' }, 'Refresh')),
    );
  }

  async function show() {
    history.replaceState(null, '', `#/charts${qs(choice)}`);
    removeChart?.();
    removeChart = null;
    clear(chartBox);
    if (!choice.site || !choice.metric) {
      caption.textContent = 'Choose a site and a metric.';
      return;
    }
    const span = (RANGES.find(([v]) => v === choice.range) ?? RANGES[1])[2];
    const until = Date.now();
    caption.textContent = 'Loading…';
    try {
      const [{ drawChart, summarise }, r] = await Promise.all([import('../plot.js'), api.get(`/api/readings${qs({ site: choice.site, device: choice.device, metric: choice.metric, since: until - span, until, limit: 10000 })}`)]);
      if (gone) return;
      const series = r.series.map((s) => ({ label: s.device, points: s.points }));
      if (series.length === 0) series.push({ label: choice.device || choice.metric, points: [] });
      removeChart = drawChart(chartBox, { series });
      caption.textContent = `${choice.metric} at ${choice.site}${choice.device ? ` / ${choice.device}` : ''}: ${summarise(series)}`;
    } catch (err) {
      caption.textContent = '';
      caption.append(errorBox(err.code === 'GW_HISTORY_OFF' ? 'The gateway keeps no reading history (InfluxDB is not configured).' : `Could not load readings: ${err.message}`));
    }
  }

  api
    .get('/api/sites')
    .then((body) => {
      sites = body.sites;
      if (!choice.site && sites.length) choice.site = sites[0].id;
      drawForm();
      show();
    })
    .catch((err) => main.append(errorBox(`Could not load the sites: ${err.message}`)));
  return () => {
    gone = true;
    removeChart?.();
  };
}
