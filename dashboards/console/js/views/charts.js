// Charts per device and metric from /api/readings, with a time-range picker. The choice is
// kept in the hash (#/charts?site=..&device=..&metric=..&range=..) so it can be bookmarked.
// The axis is the range chosen, silences are gaps, the unit and the rule's levels are shown.
import { qs } from '../api.js';
import { clear, errorBox, h, select } from '../dom.js';
import { metricLabel, unitOf } from '../format.js';
import { t, timeZone } from '../i18n.js';

const RANGES = [
  ['15m', 15 * 60_000],
  ['1h', 3_600_000],
  ['6h', 6 * 3_600_000],
  ['24h', 24 * 3_600_000],
  ['7d', 7 * 24 * 3_600_000],
];

export function renderCharts(main, { api, sites: directory, failed }, query) {
  const choice = { site: query.get('site') ?? '', device: query.get('device') ?? '', metric: query.get('metric') ?? '', range: query.get('range') ?? '1h' };
  const form = h('form', { class: 'filters', 'aria-label': t('charts.form'), onsubmit: (e) => (e.preventDefault(), show()) });
  const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': t('charts.label') });
  const caption = h('p', { class: 'small muted', role: 'status', id: 'chart-caption' });
  main.append(h('h1', {}, t('charts.title')), form, chartBox, caption);
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
      select('c-site', t('charts.site'), [['', t('charts.chooseSite')], ...sites.map((s) => [s.id, s.name])], choice.site, pick('site', ['device', 'metric'])),
      select('c-device', t('charts.device'), [['', t('charts.allDevices')], ...(site?.devices ?? []).map((d) => d.id)], choice.device, pick('device', [])),
      select('c-metric', t('charts.metric'), metrics.length ? metrics.map((m) => [m, metricLabel(m)]) : [['', t('charts.noMetric')]], choice.metric, pick('metric', [])),
      select('c-range', t('charts.range'), RANGES.map(([v]) => [v, t(`range.${v}`)]), choice.range, pick('range', [])),
      h('div', { class: 'field' }, h('span', { class: 'label-spacer', 'aria-hidden': 'true' }, ' '), h('button', { type: 'submit' }, t('charts.refresh'))),
    );
  }

  async function levelsFor() {
    // Levels need one device; with "all devices" the site's first device with this metric speaks for them.
    const site = sites.find((s) => s.id === choice.site);
    const device = choice.device || site?.devices.find((d) => choice.metric in d.latest)?.id;
    if (!device) return [];
    const r = await api.get(`/api/levels${qs({ site: choice.site, device, metric: choice.metric })}`);
    return r.rules.flatMap((rule) => rule.levels);
  }

  async function show() {
    history.replaceState(null, '', `#/charts${qs(choice)}`);
    removeChart?.();
    removeChart = null;
    clear(chartBox);
    if (!choice.site || !choice.metric) {
      caption.textContent = t('charts.choose');
      return;
    }
    const span = (RANGES.find(([v]) => v === choice.range) ?? RANGES[1])[1];
    const until = Date.now();
    const since = until - span;
    caption.textContent = t('app.loading');
    try {
      const [{ drawChart, summarise }, r, levels] = await Promise.all([
        import('../plot.js'),
        api.get(`/api/readings${qs({ site: choice.site, device: choice.device, metric: choice.metric, since, until, limit: 10000 })}`),
        levelsFor(),
      ]);
      if (gone) return;
      const series = r.series.map((s) => ({ label: s.device, points: s.points }));
      if (series.length === 0) series.push({ label: choice.device || choice.metric, points: [] });
      const unit = r.unit ?? unitOf(choice.metric);
      const chart = drawChart(chartBox, { series, levels, unit, since, until });
      removeChart = chart.remove;
      const siteName = sites.find((s) => s.id === choice.site)?.name ?? choice.site;
      caption.textContent = [
        t('charts.caption', { metric: metricLabel(choice.metric), site: siteName, device: choice.device ? ` / ${choice.device}` : '', summary: summarise(series, unit) }),
        t('charts.zone', { zone: timeZone() }),
        levels.length ? t('charts.levels') : '',
        chart.gaps ? t('charts.gaps') : '',
      ]
        .filter(Boolean)
        .join(' ');
      chartBox.dataset.gaps = String(chart.gaps);
    } catch (err) {
      caption.textContent = '';
      if (err.code !== 'GW_HISTORY_OFF') failed();
      caption.append(errorBox(err.code === 'GW_HISTORY_OFF' ? t('charts.historyOff') : t('charts.loadFailed', { message: err.message })));
    }
  }

  directory
    .refresh()
    .then((list) => {
      if (gone) return;
      sites = list;
      if (!choice.site && sites.length) choice.site = sites[0].id;
      drawForm();
      show();
    })
    .catch((err) => (failed(), main.append(errorBox(t('sites.loadFailed', { message: err.message })))));
  return () => {
    gone = true;
    removeChart?.();
  };
}
