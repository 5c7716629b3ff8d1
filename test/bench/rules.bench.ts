// Rule engine throughput: readings/s and ns per reading on one core, with 10, 1,000 and
// 10,000 rules loaded and readings from 10,000 devices. Run: npx tsx test/bench/rules.bench.ts
// Target (task brief): >= 1,000,000 readings/s at 1,000 rules, flat within 2x from 10 to 10,000.
// Rows: ten sector-wide rules plus scoped ones (5 % by site, 95 % by device). "per message"
// feeds the five metrics of a device one after another, as a telemetry message does;
// "random" draws a device per reading (worst memory locality). "scoped elsewhere" names
// devices that are silent here: the cost of rules that cannot match a reading.
// BENCH_SECONDS (default 2) bounds each row; BENCH_ONLY=<rules> runs one rule count.
import type { Reading } from '../../gateway/src/domain/index.js';
import {
  compileRuleSet,
  createEngineState,
  ruleSchema,
  ruleVersion,
  step,
  type CatalogueItem,
  type CompiledRules,
  type EngineInput,
  type RuleInput,
} from '../../gateway/src/rules/index.js';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 10_000);
const SITES = 100;
const METRICS = ['gas_lel', 'toxic_ppm', 'temperature', 'pressure', 'level'] as const;
const READINGS = 500_000;
const SECONDS_PER_ROW = Number(process.env.BENCH_SECONDS ?? 2);

const CATALOGUE: CatalogueItem[] = [{ code: 'B-01', name: 'Bench', sector: 'hazardous_chemicals', basis: 'bench', department: 'bench' }];

// A deterministic generator, so every run measures the same stream.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

const siteOf = (d: number) => `site-${d % SITES}`;
const deviceOf = (d: number) => `dev-${d}`;

/** Ten sector-wide rules of every telemetry kind, then rules scoped to sites (5 %) and devices (95 %). */
function ruleSet(n: number, ghost: boolean): RuleInput[] {
  const base = { item: 'B-01', title: 'bench', match: { sector: 'hazardous_chemicals' } };
  const rules: RuleInput[] = [
    { ...base, id: 'gas', kind: 'threshold', match: { ...base.match, metric: 'gas_lel' }, levels: [{ severity: 'critical', gte: 50 }, { severity: 'warning', gte: 25 }], clear: { lt: 20 } },
    { ...base, id: 'toxic', kind: 'threshold', match: { ...base.match, metric: 'toxic_ppm' }, levels: [{ severity: 'critical', gte: 20 }, { severity: 'warning', gte: 10 }], for: '10s' },
    { ...base, id: 'temp', kind: 'threshold', match: { ...base.match, metric: 'temperature' }, levels: [{ severity: 'warning', gte: 40 }], clearFor: '30s' },
    { ...base, id: 'pressure', kind: 'threshold', match: { ...base.match, metric: 'pressure' }, levels: [{ severity: 'warning', gte: 0.8 }] },
    { ...base, id: 'level', kind: 'threshold', match: { ...base.match, metric: 'level' }, levels: [{ severity: 'critical', outside: [5, 95] }, { severity: 'warning', outside: [10, 85] }] },
    { ...base, id: 'temp-rate', kind: 'rate', match: { ...base.match, metric: 'temperature' }, per: '1m', levels: [{ severity: 'warning', gte: 5 }] },
    { ...base, id: 'level-window', kind: 'window', match: { ...base.match, metric: 'level' }, window: '1m', aggregate: 'avg', levels: [{ severity: 'warning', gt: 85 }] },
    { ...base, id: 'pressure-max', kind: 'window', match: { ...base.match, metric: 'pressure' }, window: '30s', aggregate: 'max', levels: [{ severity: 'warning', gt: 0.95 }] },
    { ...base, id: 'gas-flat', kind: 'flatline', match: { ...base.match, metric: 'gas_lel' }, tolerance: 0.01, for: '1h', severity: 'info' },
    { ...base, id: 'offline', kind: 'offline', after: '5m', severity: 'major' },
  ];
  for (let i = rules.length; i < n; i++) {
    // ghost: the scoped rules name sites and devices that send nothing in this stream.
    const g = ghost ? 'ghost-' : '';
    const scope = i % 20 === 0 ? { site: `${g}site-${(i / 20) % SITES}` } : { device: g + deviceOf((i * 7919) % DEVICES) };
    // Site rules: every site gets each metric once per 500 of them; device rules spread evenly.
    const metric = METRICS[Math.floor(i / (i % 20 === 0 ? 2000 : 20)) % METRICS.length]!;
    rules.push({ ...base, id: `r-${i}`, kind: 'threshold', match: { ...base.match, ...scope, metric }, levels: [{ severity: 'warning', gte: 90 }] });
  }
  return rules.slice(0, n);
}

/** Parses (the loader's schema and versions, without YAML) and compiles. */
function build(n: number, ghost: boolean): { rules: CompiledRules; loadMs: number } {
  const t = performance.now();
  const rules = compileRuleSet({
    catalogue: CATALOGUE,
    rules: ruleSet(n, ghost).map((input) => {
      const rule = ruleSchema.parse(input);
      return { ...rule, version: ruleVersion(rule), file: 'bench' };
    }),
  });
  return { rules, loadMs: performance.now() - t };
}

/**
 * `grouped`: each telemetry message carries the five metrics of one device, stepped one
 * after another as inputsFor feeds them (how devices send). Otherwise every reading comes
 * from a random device: the worst case for memory locality.
 */
function readings(grouped: boolean): EngineInput[] {
  const rnd = lcg(42);
  const typical: Record<string, [number, number]> = { gas_lel: [0, 22], toxic_ppm: [0, 9], temperature: [15, 38], pressure: [0.2, 0.75], level: [20, 80] };
  // Each series walks slowly inside its typical range, as real sensors do.
  const walk = new Float64Array(DEVICES * METRICS.length);
  for (let i = 0; i < walk.length; i++) {
    const [lo, hi] = typical[METRICS[i % METRICS.length]!]!;
    walk[i] = lo + rnd() * (hi - lo);
  }
  const out: EngineInput[] = new Array(READINGS);
  const t0 = Date.UTC(2026, 0, 1);
  let d = 0;
  for (let i = 0; i < READINGS; i++) {
    const m = grouped ? i % METRICS.length : Math.floor(rnd() * METRICS.length);
    if (!grouped || m === 0) d = Math.floor(rnd() * DEVICES);
    const metric = METRICS[m]!;
    const [lo, hi] = typical[metric]!;
    const k = d * METRICS.length + m;
    walk[k] = Math.min(hi, Math.max(lo, walk[k]! + (rnd() - 0.5) * (hi - lo) * 0.02));
    // About 0.1 % of readings spike to twice the typical high, so events raise and resolve.
    const value = rnd() < 0.001 ? hi * 2 : walk[k]!;
    const ts = t0 + (grouped ? i - m : i); // 1,000 readings per second of event time
    const reading: Reading = { site: siteOf(d), device: deviceOf(d), sector: 'hazardous_chemicals', kind: 'sensor', metric, value, ts, receivedAt: ts, skewed: false, valid: true };
    out[i] = { type: 'reading', reading };
  }
  return out;
}

function run(rules: CompiledRules, inputs: EngineInput[]) {
  const state = createEngineState();
  const span = READINGS; // ms of event time per pass
  let transitions = 0;
  // Warm-up pass: builds the per-device state and lets V8 optimise.
  for (const input of inputs) transitions += step(rules, state, input, 0).length;
  let done = 0;
  let elapsed = 0;
  let pass = 1;
  while (elapsed < SECONDS_PER_ROW * 1000) {
    // Move the stream forward in event time so every reading is evaluated (none out of order).
    for (const input of inputs) if (input.type === 'reading') (input.reading as { ts: number }).ts += span;
    const t = performance.now();
    for (let i = 0; i < inputs.length; i++) transitions += step(rules, state, inputs[i]!, 0).length;
    elapsed += performance.now() - t;
    done += inputs.length;
    pass++;
  }
  for (const input of inputs) if (input.type === 'reading') (input.reading as { ts: number }).ts -= span * (pass - 1);
  // How many rules each reading met on average: the work grows with these, not with the rule count.
  let met = 0;
  for (const input of inputs) {
    if (input.type !== 'reading') continue;
    met += state.devices.get(input.reading.device)!.series.get(input.reading.metric)!.shared!.list.length;
  }
  return { done, elapsed, transitions, met: met / inputs.length };
}

const CASES: { grouped: boolean; n: number; ghost: boolean }[] = [
  { grouped: true, n: 10, ghost: false },
  { grouped: true, n: 1_000, ghost: false },
  { grouped: true, n: 10_000, ghost: false },
  { grouped: true, n: 10_000, ghost: true },
  { grouped: false, n: 10, ghost: false },
  { grouped: false, n: 1_000, ghost: false },
  { grouped: false, n: 10_000, ghost: false },
];
const only = process.env.BENCH_ONLY ? Number(process.env.BENCH_ONLY) : null;
const rows: string[][] = [];
const streams = new Map<boolean, EngineInput[]>();
for (const c of CASES.filter((x) => only === null || x.n === only)) {
  let inputs = streams.get(c.grouped);
  if (!inputs) streams.set(c.grouped, (inputs = readings(c.grouped)));
  const { rules, loadMs } = build(c.n, c.ghost);
  const r = run(rules, inputs);
  const perSec = (r.done / r.elapsed) * 1000;
  rows.push([
    c.grouped ? 'per message' : 'random',
    `${c.n.toLocaleString('en')}${c.ghost ? ' (scoped elsewhere)' : ''}`,
    loadMs.toFixed(0),
    r.done.toLocaleString('en'),
    Math.round(perSec).toLocaleString('en'),
    ((r.elapsed * 1e6) / r.done).toFixed(0),
    r.met.toFixed(2),
    r.transitions.toLocaleString('en'),
  ]);
}
const head = ['order', 'rules', 'compile ms', 'readings', 'readings/s', 'ns/reading', 'rules met/reading', 'transitions'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const fmtRow = (r: string[]) => r.map((c, i) => c.padStart(widths[i]!)).join('  ');
process.stdout.write(`rule engine, ${DEVICES.toLocaleString('en')} devices x ${METRICS.length} metrics, one core, ${SECONDS_PER_ROW}s per row (node ${process.version})\n`);
process.stdout.write(`${fmtRow(head)}\n${rows.map(fmtRow).join('\n')}\n`);
