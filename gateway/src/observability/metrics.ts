// A small Prometheus text-format registry. Counters and gauges with labels, no
// dependencies; the hot path increments a number in a Map.
type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  value: number;
}

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  series: Map<string, Series>;
  collect?: () => number | Array<{ labels: Labels; value: number }>;
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
  /** A series with its labels fixed once, for hot paths: inc() then touches one number. */
  bind(labels?: Labels): { inc(by?: number): void };
}

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics() {
  const families = new Map<string, Family>();

  function family(name: string, help: string, type: Family['type']): Family {
    let f = families.get(name);
    if (!f) families.set(name, (f = { help, type, series: new Map() }));
    return f;
  }

  return {
    counter(name: string, help: string): Counter {
      const f = family(name, help, 'counter');
      return {
        inc(labels = {}, by = 1) {
          const k = labelKey(labels);
          const s = f.series.get(k);
          if (s) s.value += by;
          else f.series.set(k, { labels, value: by });
        },
        get(labels = {}) {
          return f.series.get(labelKey(labels))?.value ?? 0;
        },
        bind(labels = {}) {
          const k = labelKey(labels);
          let series = f.series.get(k);
          if (!series) f.series.set(k, (series = { labels, value: 0 }));
          const s = series;
          return { inc: (by = 1) => void (s.value += by) };
        },
      };
    },
    /** A gauge read when scraped. */
    gauge(name: string, help: string, collect: NonNullable<Family['collect']>): void {
      family(name, help, 'gauge').collect = collect;
    },
    /** Prometheus text exposition format 0.0.4. */
    render(): string {
      const out: string[] = [];
      for (const [name, f] of families) {
        out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
        const series = f.collect ? normalise(f.collect()) : [...f.series.values()];
        for (const s of series) {
          const ls = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
          out.push(`${name}${ls.length ? `{${ls.join(',')}}` : ''} ${s.value}`);
        }
      }
      return out.join('\n') + '\n';
    },
  };
}

function normalise(v: number | Array<{ labels: Labels; value: number }>): Series[] {
  return typeof v === 'number' ? [{ labels: {}, value: v }] : v;
}
