import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { METRICS } from '../../../gateway/src/domain/metrics.js';

// The dashboards are plain files Grafana loads at start; nothing else reads them before a
// supervisor opens one. These tests catch what Grafana would only show as an empty panel:
// a data source uid that is not provisioned, or a query naming a measurement, tag or field
// the gateway never writes.

const ROOT = resolve(import.meta.dirname, '../../..');
const GRAFANA = join(ROOT, 'dashboards/grafana');
const DASHBOARD_DIR = join(GRAFANA, 'dashboards');

// ---------- the schema ----------

type FieldType = 'float' | 'integer' | 'string' | 'boolean' | 'unknown';

interface InfluxSchema {
  measurements: Record<string, { tags: string[]; fields: Record<string, FieldType> }>;
  /** Tags whose values are a closed vocabulary: a literal compared with them must be one of these. */
  tagValues?: Record<string, string[]>;
}

const schema = JSON.parse(readFileSync(join(ROOT, 'dashboards/schema.json'), 'utf8')) as InfluxSchema;

// ---------- an InfluxQL identifier checker ----------

type Token =
  | { kind: 'ident'; value: string; quoted: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'regex'; value: string }
  | { kind: 'number'; value: string }
  | { kind: 'var'; value: string }
  | { kind: 'punct'; value: string };

const PUNCT = ['=~', '!~', '!=', '<>', '<=', '>=', '=', '<', '>', '(', ')', ',', ';', '*', '+', '-', '/', '%', '.'];

/** Splits InfluxQL (with Grafana variables) into tokens; throws on a character it does not know. */
function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const quoted = (close: string): string => {
    let out = '';
    i++;
    while (i < query.length && query[i] !== close) {
      if (query[i] === '\\' && i + 1 < query.length) i++;
      out += query[i++];
    }
    if (i >= query.length) throw new Error(`unterminated ${close} in: ${query}`);
    i++;
    return out;
  };
  while (i < query.length) {
    const c = query[i]!;
    const rest = query.slice(i);
    const prev = tokens[tokens.length - 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      tokens.push({ kind: 'ident', value: quoted('"'), quoted: true });
    } else if (c === "'") {
      tokens.push({ kind: 'string', value: quoted("'") });
    } else if (c === '/' && prev?.kind === 'punct' && (prev.value === '=~' || prev.value === '!~')) {
      tokens.push({ kind: 'regex', value: quoted('/') });
    } else if (c === '$') {
      const m = /^\$(?:\{(\w+)(?::\w+)?\}|(\w+))/.exec(rest);
      if (!m) throw new Error(`stray "$" in: ${query}`);
      tokens.push({ kind: 'var', value: (m[1] ?? m[2])! });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      // Durations (10s, 5m, 1h) are numbers with a unit as far as names are concerned.
      const m = /^\d+(?:\.\d+)?(?:ns|u|µ|ms|s|m|h|d|w)?/.exec(rest)!;
      tokens.push({ kind: 'number', value: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)!;
      tokens.push({ kind: 'ident', value: m[0], quoted: false });
      i += m[0].length;
    } else {
      const p = PUNCT.find((x) => rest.startsWith(x));
      if (!p) throw new Error(`unexpected "${c}" in: ${query}`);
      tokens.push({ kind: 'punct', value: p });
      i += p.length;
    }
  }
  return tokens;
}

// InfluxQL functions a dashboard may call, and those that only take numbers.
const FUNCTIONS = new Set([
  'count', 'distinct', 'integral', 'mean', 'median', 'mode', 'spread', 'stddev', 'sum',
  'bottom', 'first', 'last', 'max', 'min', 'percentile', 'sample', 'top',
  'abs', 'ceil', 'floor', 'round', 'cumulative_sum', 'derivative', 'difference', 'elapsed',
  'moving_average', 'non_negative_derivative', 'non_negative_difference',
]);
const NUMERIC_ONLY = new Set([
  'integral', 'mean', 'median', 'spread', 'stddev', 'sum', 'bottom', 'max', 'min', 'percentile', 'top',
  'abs', 'ceil', 'floor', 'round', 'cumulative_sum', 'derivative', 'difference',
  'moving_average', 'non_negative_derivative', 'non_negative_difference',
]);
const WHERE_KEYWORDS = new Set(['AND', 'OR', 'TRUE', 'FALSE', 'TIME', 'NOW']);

const DEFAULT_VARIABLES = ['site', 'sector', 'timeFilter', '__interval'];

/** Names a query may refer to: the tags and fields of a measurement, or what a subquery returns. */
interface Scope {
  what: string;
  tags: Set<string>;
  fields: Map<string, FieldType>;
}

const isIdent = (t: Token | undefined, keyword?: string): t is Extract<Token, { kind: 'ident' }> =>
  t?.kind === 'ident' && (keyword === undefined || (!t.quoted && t.value.toUpperCase() === keyword));
const isPunct = (t: Token | undefined, p: string): boolean => t?.kind === 'punct' && t.value === p;
const show = (t: Token | undefined): string => (t === undefined ? 'end of query' : `"${t.value}"`);

class Checker {
  private pos = 0;
  readonly problems: string[] = [];

  constructor(
    private readonly tokens: Token[],
    private readonly schema: InfluxSchema,
  ) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private keyword(word: string): boolean {
    if (!isIdent(this.peek(), word)) return false;
    this.pos++;
    return true;
  }

  private expectKeyword(word: string): void {
    if (!this.keyword(word)) throw new Error(`expected ${word}, found ${show(this.peek())}`);
  }

  /** Takes tokens up to (not including) a depth-0 keyword of `stops`, a closing ")" or ";". */
  private until(stops: string[]): Token[] {
    const out: Token[] = [];
    let depth = 0;
    for (let t = this.peek(); t !== undefined; t = this.peek()) {
      if (depth === 0 && (isPunct(t, ')') || isPunct(t, ';'))) break;
      if (depth === 0 && t.kind === 'ident' && !t.quoted && stops.includes(t.value.toUpperCase())) break;
      if (isPunct(t, '(')) depth++;
      if (isPunct(t, ')')) depth--;
      out.push(t);
      this.pos++;
    }
    return out;
  }

  run(): void {
    while (this.peek() !== undefined) {
      if (isIdent(this.peek(), 'SELECT')) this.select();
      else if (isIdent(this.peek(), 'SHOW')) this.showTagValues();
      else throw new Error(`only SELECT and SHOW TAG VALUES are allowed, found ${show(this.peek())}`);
      if (this.peek() !== undefined && !isPunct(this.peek(), ';')) throw new Error(`unexpected ${show(this.peek())}`);
      this.pos++;
    }
  }

  private measurement(): Scope | undefined {
    const t = this.peek();
    if (t?.kind !== 'ident') throw new Error(`expected a measurement, found ${show(t)}`);
    this.pos++;
    if (isPunct(this.peek(), '.')) {
      this.problems.push(`qualified measurement "${t.value}". ...: name the measurement alone (database = bucket)`);
      while (isPunct(this.peek(), '.') || this.peek()?.kind === 'ident') this.pos++;
      return undefined;
    }
    const m = this.schema.measurements[t.value];
    if (!m) {
      this.problems.push(`unknown measurement "${t.value}"`);
      return undefined;
    }
    return { what: `measurement "${t.value}"`, tags: new Set(m.tags), fields: new Map(Object.entries(m.fields)) };
  }

  private showTagValues(): void {
    this.expectKeyword('SHOW');
    this.expectKeyword('TAG');
    this.expectKeyword('VALUES');
    const scopes: Scope[] = [];
    let named = false;
    if (this.keyword('FROM')) {
      named = true;
      const s = this.measurement();
      if (s) scopes.push(s);
    }
    if (!named) {
      for (const [name, m] of Object.entries(this.schema.measurements)) {
        scopes.push({ what: `measurement "${name}"`, tags: new Set(m.tags), fields: new Map() });
      }
    }
    const scope = mergeScopes(scopes);
    this.expectKeyword('WITH');
    this.expectKeyword('KEY');
    const keyTokens = this.until(['WHERE', 'LIMIT', 'OFFSET']);
    if (scope) {
      for (const t of keyTokens) {
        if (t.kind === 'ident' && !scope.tags.has(t.value)) this.problems.push(`"${t.value}" is not a tag of ${scope.what}`);
      }
    }
    if (this.keyword('WHERE') && scope) this.condition(this.until(['LIMIT', 'OFFSET']), scope);
    this.until([]);
  }

  /** Parses one SELECT (recursing into subqueries) and returns what it yields to an outer query. */
  private select(): Scope | undefined {
    this.expectKeyword('SELECT');
    const columns = this.until(['FROM']);
    this.expectKeyword('FROM');
    const scopes: (Scope | undefined)[] = [];
    let fromMeasurement = false;
    for (;;) {
      if (isPunct(this.peek(), '(')) {
        this.pos++;
        scopes.push(this.select());
        if (!isPunct(this.peek(), ')')) throw new Error(`expected ")" after subquery, found ${show(this.peek())}`);
        this.pos++;
      } else if (this.peek()?.kind === 'regex') {
        this.problems.push('a regular expression in FROM matches measurements the schema does not list');
        this.pos++;
        scopes.push(undefined);
      } else {
        fromMeasurement = true;
        scopes.push(this.measurement());
      }
      if (!isPunct(this.peek(), ',')) break;
      this.pos++;
    }
    const known = scopes.filter((s): s is Scope => s !== undefined);
    // An unknown source is already reported; checking names against nothing would only add noise.
    const scope = known.length === scopes.length ? mergeScopes(known) : undefined;

    const output: Scope = { what: 'the subquery', tags: new Set(), fields: new Map() };
    if (scope) this.columns(columns, scope, output);

    let timeFiltered = false;
    if (this.keyword('WHERE')) {
      const cond = this.until(['GROUP', 'ORDER', 'LIMIT', 'SLIMIT', 'OFFSET', 'SOFFSET', 'FILL', 'TZ']);
      timeFiltered = cond.some((t) => t.kind === 'var' && t.value === 'timeFilter');
      if (scope) this.condition(cond, scope);
    }
    if (fromMeasurement && !timeFiltered) {
      this.problems.push('a SELECT from a measurement must be limited to the dashboard time range with $timeFilter');
    }
    if (this.keyword('GROUP')) {
      this.expectKeyword('BY');
      const dims = this.until(['ORDER', 'LIMIT', 'SLIMIT', 'OFFSET', 'SOFFSET', 'FILL', 'TZ']);
      if (scope) this.groupBy(dims, scope, output);
    }
    // fill(), ORDER BY time, LIMIT, SLIMIT, OFFSET, tz(): no measurement, tag or field names.
    for (const t of this.until([])) {
      if (t.kind === 'ident' && t.quoted) this.problems.push(`unexpected name "${t.value}" after GROUP BY`);
    }
    return scope ? output : undefined;
  }

  private columns(tokens: Token[], scope: Scope, output: Scope): void {
    let selectsField = false;
    for (const item of splitTopLevel(tokens)) {
      let alias: string | undefined;
      let body = item;
      const asAt = item.findIndex((t) => isIdent(t, 'AS'));
      if (asAt >= 0) {
        const a = item[asAt + 1];
        if (a?.kind !== 'ident') throw new Error('AS without a name');
        alias = a.value;
        body = item.slice(0, asAt);
      }
      body.forEach((t, i) => {
        if (t.kind === 'punct' && t.value === '*') selectsField = true;
        if (t.kind !== 'ident') return;
        if (isPunct(body[i + 1], '(')) {
          if (!FUNCTIONS.has(t.value.toLowerCase())) this.problems.push(`unknown function ${t.value}()`);
          return;
        }
        if (!t.quoted && t.value.toUpperCase() === 'TIME') return;
        const type = scope.fields.get(t.value);
        if (type !== undefined) {
          selectsField = true;
          const fn = body[i - 2];
          if (isPunct(body[i - 1], '(') && fn?.kind === 'ident' && NUMERIC_ONLY.has(fn.value.toLowerCase()) && type === 'string') {
            this.problems.push(`${fn.value}() needs a number but "${t.value}" is a string field of ${scope.what}`);
          }
        } else if (!scope.tags.has(t.value)) {
          this.problems.push(`"${t.value}" is neither a tag nor a field of ${scope.what}`);
        }
      });
      const first = body[0];
      const name = alias ?? (first?.kind === 'ident' ? first.value : undefined);
      if (name !== undefined) output.fields.set(name, 'unknown');
    }
    if (!selectsField) this.problems.push(`the SELECT names no field of ${scope.what}, so it returns nothing`);
  }

  private condition(tokens: Token[], scope: Scope): void {
    tokens.forEach((t, i) => {
      if (t.kind !== 'ident' || isPunct(tokens[i + 1], '(')) return;
      if (!t.quoted && WHERE_KEYWORDS.has(t.value.toUpperCase())) return;
      if (scope.tags.has(t.value)) {
        const op = tokens[i + 1];
        const lit = tokens[i + 2];
        const allowed = this.schema.tagValues?.[t.value];
        if (allowed && (isPunct(op, '=') || isPunct(op, '!=')) && lit?.kind === 'string' && !allowed.includes(lit.value)) {
          this.problems.push(`'${lit.value}' is not a value of tag "${t.value}" (${allowed.join(', ')})`);
        }
      } else if (!scope.fields.has(t.value)) {
        this.problems.push(`"${t.value}" is neither a tag nor a field of ${scope.what}`);
      }
    });
  }

  private groupBy(tokens: Token[], scope: Scope, output: Scope): void {
    for (const dim of splitTopLevel(tokens)) {
      const [head, next] = dim;
      if (isIdent(head, 'TIME') && isPunct(next, '(')) continue;
      if (dim.length === 1 && head?.kind === 'punct' && head.value === '*') continue;
      if (dim.length === 1 && head?.kind === 'ident') {
        if (scope.tags.has(head.value)) output.tags.add(head.value);
        else if (scope.fields.has(head.value)) this.problems.push(`GROUP BY "${head.value}": a field, not a tag, of ${scope.what}`);
        else this.problems.push(`GROUP BY "${head.value}": not a tag of ${scope.what}`);
        continue;
      }
      this.problems.push(`GROUP BY ${dim.map((t) => t.value).join(' ')}: only time(...) and tag names are checked`);
    }
  }
}

function mergeScopes(scopes: Scope[]): Scope | undefined {
  if (scopes.length === 0) return undefined;
  if (scopes.length === 1) return scopes[0];
  return {
    what: scopes.map((s) => s.what).join(' or '),
    tags: new Set(scopes.flatMap((s) => [...s.tags])),
    fields: new Map(scopes.flatMap((s) => [...s.fields])),
  };
}

function splitTopLevel(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (isPunct(t, '(')) depth++;
    if (isPunct(t, ')')) depth--;
    if (depth === 0 && isPunct(t, ',')) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts.filter((p) => p.length > 0);
}

/**
 * Checks that an InfluxQL query (SELECT, with subqueries, or SHOW TAG VALUES) names only
 * measurements, tags and fields of `schema` and only the Grafana variables in `variables`.
 * Returns the problems found; an empty list means the query is fine.
 */
function checkInfluxQL(query: string, s: InfluxSchema = schema, variables: string[] = DEFAULT_VARIABLES): string[] {
  const problems: string[] = [];
  let tokens: Token[];
  try {
    tokens = tokenize(query);
  } catch (err) {
    return [(err as Error).message];
  }
  for (const t of tokens) {
    // Variables hide in strings and regular expressions too (/^$site$/).
    const names = t.kind === 'var' ? [t.value] : t.kind === 'string' || t.kind === 'regex' ? [...t.value.matchAll(/\$\{?(\w+)/g)].map((m) => m[1]!) : [];
    for (const n of names) if (!variables.includes(n)) problems.push(`unknown variable $${n}`);
    if ((t.kind === 'string' || t.kind === 'regex') && /\[\[/.test(t.value)) problems.push('old [[variable]] syntax');
  }
  const checker = new Checker(tokens, s);
  try {
    checker.run();
  } catch (err) {
    problems.push((err as Error).message);
  }
  return [...problems, ...checker.problems];
}

// ---------- the dashboards ----------

interface DataSourceRef {
  type?: string;
  uid?: string;
}
interface Target {
  refId?: string;
  datasource?: DataSourceRef;
  query?: string;
  rawQuery?: boolean;
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: DataSourceRef | null;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  datasource?: DataSourceRef;
  query?: string | { query?: string };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: Variable[] };
}

const dashboardFiles = readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json')).sort();
const dashboards = dashboardFiles.map((file) => ({
  file,
  dashboard: JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as Dashboard,
}));

/** Every panel, with those inside rows (collapsed rows keep theirs in `panels`). */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}
const dataPanels = (d: Dashboard): Panel[] => allPanels(d.panels).filter((p) => p.type !== 'row' && p.type !== 'text');
const variableQuery = (v: Variable): string => (typeof v.query === 'string' ? v.query : (v.query?.query ?? ''));

interface ProvisionedDataSource {
  name: string;
  uid?: string;
  type: string;
  url?: string;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, unknown>;
}
const datasourceFile = parseYaml(readFileSync(join(GRAFANA, 'provisioning/datasources/influxdb.yaml'), 'utf8')) as {
  apiVersion: number;
  datasources: ProvisionedDataSource[];
};
const provisionedUids = new Set(datasourceFile.datasources.map((d) => d.uid).filter((u): u is string => typeof u === 'string'));

describe('Grafana provisioning', () => {
  it('provisions one InfluxQL data source with a fixed uid against the compose InfluxDB, token from the environment', () => {
    expect(datasourceFile.apiVersion).toBe(1);
    expect(datasourceFile.datasources).toHaveLength(1);
    const ds = datasourceFile.datasources[0]!;
    expect(ds).toMatchObject({ uid: 'supervision-influxdb', type: 'influxdb', url: 'http://influxdb:8086' });
    expect(ds.jsonData).toMatchObject({ version: 'InfluxQL', dbName: '${INFLUX_BUCKET}', httpHeaderName1: 'Authorization' });
    expect(ds.secureJsonData).toEqual({ httpHeaderValue1: 'Token ${INFLUX_TOKEN}' });
  });

  it('loads dashboards from files at /var/lib/grafana/dashboards', () => {
    const file = parseYaml(readFileSync(join(GRAFANA, 'provisioning/dashboards/provider.yaml'), 'utf8')) as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    expect(file.apiVersion).toBe(1);
    expect(file.providers).toHaveLength(1);
    expect(file.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
  });
});

describe('dashboards/schema.json', () => {
  it('lists every metric of the domain catalogue as a float field of telemetry, plus the flags string', () => {
    const expected = { ...Object.fromEntries(Object.keys(METRICS).map((m) => [m, 'float'])), flags: 'string' };
    expect(schema.measurements.telemetry?.fields).toEqual(expected);
  });

  it('describes the four measurements the gateway writes', () => {
    expect(Object.keys(schema.measurements).sort()).toEqual(['detection', 'device_status', 'event', 'telemetry']);
    expect(schema.measurements.event?.tags).toEqual(['site', 'device', 'rule', 'item', 'severity', 'transition']);
    expect(schema.measurements.device_status?.fields).toEqual({ online: 'integer', rejected: 'integer' });
  });
});

describe('Grafana dashboards', () => {
  it('has the three dashboards, with their titles and unique uids', () => {
    expect(Object.fromEntries(dashboards.map(({ file, dashboard }) => [file, dashboard.title]))).toEqual({
      'device-health.json': 'Device health',
      'sites-overview.json': 'Sites overview',
      'supervision-events.json': 'Supervision events',
    });
    const uids = dashboards.map(({ dashboard }) => dashboard.uid);
    for (const uid of uids) expect(uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(new Set(uids).size).toBe(uids.length);
  });

  describe.each(dashboards)('$file', ({ dashboard }) => {
    it('gives every panel, nested ones too, unique ids and a provisioned InfluxDB data source', () => {
      const panels = allPanels(dashboard.panels);
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(dataPanels(dashboard).length).toBeGreaterThan(0);
      for (const p of dataPanels(dashboard)) {
        expect(p.datasource, `panel "${p.title}"`).toMatchObject({ type: 'influxdb' });
        expect(provisionedUids.has(p.datasource?.uid ?? ''), `panel "${p.title}" uid ${p.datasource?.uid}`).toBe(true);
        expect(p.targets?.length, `panel "${p.title}" has queries`).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          if (t.datasource) expect(provisionedUids.has(t.datasource.uid ?? ''), `panel "${p.title}" target ${t.refId}`).toBe(true);
        }
      }
    });

    it('offers site and sector variables from SHOW TAG VALUES on the provisioned data source', () => {
      const vars = dashboard.templating?.list ?? [];
      expect(vars.map((v) => v.name).sort()).toEqual(['sector', 'site']);
      for (const v of vars) {
        expect(v.type).toBe('query');
        expect(provisionedUids.has(v.datasource?.uid ?? ''), `variable ${v.name}`).toBe(true);
        expect(variableQuery(v)).toMatch(new RegExp(`^SHOW TAG VALUES FROM "\\w+" WITH KEY = "${v.name}"`));
      }
    });

    it('queries only measurements, tags and fields of the schema, in raw InfluxQL', () => {
      const queries = [
        ...(dashboard.templating?.list ?? []).map((v) => ({ where: `variable ${v.name}`, query: variableQuery(v) })),
        ...dataPanels(dashboard).flatMap((p) =>
          (p.targets ?? []).map((t) => {
            expect(t.rawQuery, `panel "${p.title}" target ${t.refId} is a raw query`).toBe(true);
            return { where: `panel "${p.title}" target ${t.refId}`, query: t.query ?? '' };
          }),
        ),
      ];
      const problems = queries.flatMap(({ where, query }) => checkInfluxQL(query).map((problem) => `${where}: ${problem}\n  ${query}`));
      expect(problems).toEqual([]);
    });
  });
});

describe('the InfluxQL checker', () => {
  const ok = `SELECT mean("gas_lel") FROM "telemetry" WHERE "site" =~ /^$site$/ AND $timeFilter GROUP BY time($__interval), "device" fill(none)`;

  it('accepts a query that uses only schema names and allowed variables', () => {
    expect(checkInfluxQL(ok)).toEqual([]);
    expect(checkInfluxQL(`SELECT sum("online") FROM (SELECT last("online") AS "online" FROM "device_status" WHERE $timeFilter GROUP BY "device")`)).toEqual([]);
    expect(checkInfluxQL(`SHOW TAG VALUES FROM "telemetry" WITH KEY = "site" WHERE "sector" =~ /^$sector$/`)).toEqual([]);
  });

  it.each([
    ['an unknown measurement', ok.replace('"telemetry"', '"telemetryy"'), /unknown measurement "telemetryy"/],
    ['a field of no measurement', ok.replace('"gas_lel"', '"gas_lell"'), /"gas_lell" is neither a tag nor a field/],
    ['a tag of another measurement', ok.replace('"device" fill', '"camera" fill'), /GROUP BY "camera": not a tag/],
    ['a field in GROUP BY', ok.replace('"device" fill', '"level" fill'), /a field, not a tag/],
    ['a tag in WHERE that the measurement lacks', `SELECT count("event_id") FROM "event" WHERE "sector" = 'mining' AND $timeFilter`, /"sector" is neither a tag nor a field of measurement "event"/],
    ['a misspelt closed tag value', `SELECT count("event_id") FROM "event" WHERE "severity" = 'critcal' AND $timeFilter`, /'critcal' is not a value of tag "severity"/],
    ['an unknown variable', ok.replace('$site', '$plant'), /unknown variable \$plant/],
    ['a number function over a string field', `SELECT mean("message") FROM "event" WHERE $timeFilter`, /mean\(\) needs a number/],
    ['a SELECT of tags only', `SELECT "site" FROM "event" WHERE $timeFilter`, /names no field/],
    ['a missing $timeFilter', `SELECT last("online") FROM "device_status" GROUP BY "device"`, /\$timeFilter/],
    ['an outer query naming what the subquery does not return', `SELECT sum("online") FROM (SELECT last("online") AS "up" FROM "device_status" WHERE $timeFilter GROUP BY "device")`, /"online" is neither a tag nor a field of the subquery/],
    ['a statement other than SELECT or SHOW TAG VALUES', `DROP MEASUREMENT "telemetry"`, /only SELECT and SHOW TAG VALUES/],
    ['SHOW TAG VALUES of a field', `SHOW TAG VALUES FROM "telemetry" WITH KEY = "level"`, /"level" is not a tag of measurement "telemetry"/],
  ])('catches %s', (_what, query, problem) => {
    const problems = checkInfluxQL(query);
    expect(problems.join('\n')).toMatch(problem);
  });
});
