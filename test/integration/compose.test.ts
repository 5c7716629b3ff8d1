import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

// No container engine is needed: `docker-compose config` validates docker-compose.yml,
// interpolates .env values and prints the resolved model, which is what these tests read.
// Debian's docker-compose (1.29) is the one the test-dependency installer provides.

const ROOT = resolve(import.meta.dirname, '../..');
const COMPOSE = 'docker-compose';

interface Healthcheck {
  test?: string[] | string;
  disable?: boolean;
}
interface Service {
  image?: string;
  build?: { context: string } | string;
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: (string | { published: number | string; target: number | string; host_ip?: string })[];
  volumes?: (string | { type: string; source?: string; target: string; read_only?: boolean })[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }> | string[];
  profiles?: string[];
}
interface ComposeModel {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function compose(args: string[], envFile: string): { status: number | null; stdout: string; stderr: string } {
  // A clean environment: values must come from the env file, not from whoever runs the test.
  const res = spawnSync(COMPOSE, ['--env-file', envFile, '-f', join(ROOT, 'docker-compose.yml'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? tmpdir() },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.error) {
    const code = (res.error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${COMPOSE} is not installed: these tests need it (Debian: apt-get install -y docker-compose)`
        : `${COMPOSE} failed to run: ${res.error.message}`,
    );
  }
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** KEY=value lines of an env file, in order, with the comment lines just above each. */
function readEnvFile(text: string): { key: string; value: string; comment: string[] }[] {
  const out: { key: string; value: string; comment: string[] }[] = [];
  let comment: string[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') comment = [];
    else if (t.startsWith('#')) comment.push(t);
    else {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(t);
      if (!m) throw new Error(`.env.example: not a KEY=value line: ${line}`);
      out.push({ key: m[1]!, value: m[2]!, comment });
      comment = [];
    }
  }
  return out;
}

/** "host:container" published ports of a service, whichever syntax docker-compose printed. */
function publishedPorts(s: Service): string[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p !== 'string') return `${p.host_ip ? `${p.host_ip}:` : ''}${p.published}:${p.target}`;
    return p.replace(/\/tcp$/, '');
  });
}

/** [source, target, mode] of each mount, whichever syntax docker-compose printed. */
function mounts(s: Service): { source: string; target: string; readOnly: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target, readOnly: v.read_only === true };
    const [source = '', target = '', mode = 'rw'] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

const healthTest = (s: Service): string => {
  const t = s.healthcheck?.test;
  return Array.isArray(t) ? t.join(' ') : (t ?? '');
};

// Distinct values prove each setting travels from the env file to where it is used.
const TEST_VALUES: Record<string, string> = {
  INFLUX_TOKEN: 'token-from-the-env-file-0123456789',
  INFLUX_BUCKET: 'bucket-from-env',
  INFLUX_ORG: 'org-from-env',
  GATEWAY_API_TOKEN: 'api-token-from-env-0123456789',
  GRAFANA_ADMIN_PASSWORD: 'grafana-password-from-env',
};

let dir: string;
let envFile: string;
let resolved: ComposeModel | Error = new Error('beforeAll did not run');
const envExample = readEnvFile(readFileSync(join(ROOT, '.env.example'), 'utf8'));
const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'compose-test-'));
  envFile = join(dir, '.env');
  writeFileSync(envFile, envExample.map(({ key, value }) => `${key}=${TEST_VALUES[key] ?? value}\n`).join(''));
  // Kept, not thrown: a throw here would report every test as skipped; each test fails with it instead.
  try {
    const res = compose(['--profile', 'demo', 'config'], envFile);
    if (res.status !== 0) throw new Error(`${COMPOSE} config failed (exit ${res.status}):\n${res.stderr}`);
    resolved = parseYaml(res.stdout) as ComposeModel;
  } catch (err) {
    resolved = err as Error;
  }
});

function model(): ComposeModel {
  if (resolved instanceof Error) throw resolved;
  return resolved;
}

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const service = (name: string): Service => {
  const s = model().services[name];
  if (!s) throw new Error(`no service ${name} in docker-compose.yml`);
  return s;
};

describe('docker-compose.yml', () => {
  it('defines influxdb, grafana and gateway, and device-sim only in the demo profile', () => {
    expect(Object.keys(model().services).sort()).toEqual(['device-sim', 'gateway', 'grafana', 'influxdb']);
    expect(service('device-sim').profiles).toEqual(['demo']);
    for (const name of ['influxdb', 'grafana', 'gateway']) expect(service(name).profiles ?? []).toEqual([]);
  });

  it('pins the InfluxDB and Grafana images and builds the gateway and simulator from this repository', () => {
    expect(service('influxdb').image).toBe('influxdb:2.7.11');
    expect(service('grafana').image).toMatch(/^grafana\/grafana(-oss)?:\d+\.\d+\.\d+$/);
    const context = (s: Service) => (typeof s.build === 'string' ? s.build : s.build?.context);
    expect(context(service('gateway'))).toBe(ROOT);
    expect(context(service('device-sim'))).toBe(ROOT);
    expect(service('device-sim').image).toBe(service('gateway').image);
  });

  it('publishes MQTT 1883 and HTTP 8080 of the gateway, Grafana on 3000, InfluxDB on loopback only', () => {
    expect(publishedPorts(service('gateway')).sort()).toEqual(['1883:1883', '8080:8080']);
    expect(publishedPorts(service('grafana'))).toEqual(['3000:3000']);
    expect(publishedPorts(service('influxdb'))).toEqual(['127.0.0.1:8086:8086']);
    expect(publishedPorts(service('device-sim'))).toEqual([]);
  });

  it('keeps InfluxDB, Grafana and gateway data in named volumes', () => {
    expect(Object.keys(model().volumes ?? {})).toEqual(expect.arrayContaining(['influxdb-data', 'grafana-data', 'gateway-data']));
    expect(mounts(service('influxdb'))).toContainEqual({ source: 'influxdb-data', target: '/var/lib/influxdb2', readOnly: false });
    expect(mounts(service('grafana'))).toContainEqual({ source: 'grafana-data', target: '/var/lib/grafana', readOnly: false });
    expect(mounts(service('gateway'))).toContainEqual({ source: 'gateway-data', target: '/data', readOnly: false });
    expect(service('gateway').environment?.GATEWAY_DATA_DIR).toBe('/data');
  });

  it('mounts the registry read-only into the gateway and the simulator', () => {
    const registry = { source: join(ROOT, 'registry.yaml'), target: '/config/registry.yaml', readOnly: true };
    expect(mounts(service('gateway'))).toContainEqual(registry);
    expect(mounts(service('device-sim'))).toContainEqual(registry);
    expect(service('gateway').environment?.GATEWAY_REGISTRY).toBe('/config/registry.yaml');
  });

  it('mounts the Grafana provisioning and dashboards where the provider file looks for them', () => {
    const provider = parseYaml(readFileSync(join(ROOT, 'dashboards/grafana/provisioning/dashboards/provider.yaml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    const grafana = mounts(service('grafana'));
    expect(grafana).toContainEqual({ source: join(ROOT, 'dashboards/grafana/dashboards'), target: provider.providers[0]!.options.path, readOnly: true });
    expect(grafana).toContainEqual({
      source: join(ROOT, 'dashboards/grafana/provisioning/datasources'),
      target: '/etc/grafana/provisioning/datasources',
      readOnly: true,
    });
    expect(grafana).toContainEqual({
      source: join(ROOT, 'dashboards/grafana/provisioning/dashboards'),
      target: '/etc/grafana/provisioning/dashboards',
      readOnly: true,
    });
  });

  it('health-checks influxdb, grafana (/api/health) and the gateway (/healthz)', () => {
    expect(healthTest(service('influxdb'))).toMatch(/^CMD(-SHELL)? .*influx ping/);
    expect(healthTest(service('grafana'))).toMatch(/^CMD(-SHELL)? .*:3000\/api\/health/);
    expect(healthTest(service('gateway'))).toMatch(/^CMD(-SHELL)? .*:8080\/healthz/);
  });

  it('starts each service only after what it needs is healthy', () => {
    expect(service('grafana').depends_on).toEqual({ influxdb: { condition: 'service_healthy' } });
    expect(service('gateway').depends_on).toEqual({ influxdb: { condition: 'service_healthy' } });
    expect(service('device-sim').depends_on).toEqual({ gateway: { condition: 'service_healthy' } });
  });

  it('hands the same InfluxDB org, bucket and token from .env to InfluxDB setup, the gateway and Grafana', () => {
    expect(service('influxdb').environment).toMatchObject({
      DOCKER_INFLUXDB_INIT_MODE: 'setup',
      DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: TEST_VALUES.INFLUX_TOKEN,
      DOCKER_INFLUXDB_INIT_BUCKET: TEST_VALUES.INFLUX_BUCKET,
      DOCKER_INFLUXDB_INIT_ORG: TEST_VALUES.INFLUX_ORG,
    });
    expect(service('gateway').environment).toMatchObject({
      INFLUX_URL: 'http://influxdb:8086',
      INFLUX_TOKEN: TEST_VALUES.INFLUX_TOKEN,
      INFLUX_BUCKET: TEST_VALUES.INFLUX_BUCKET,
      INFLUX_ORG: TEST_VALUES.INFLUX_ORG,
      GATEWAY_API_TOKEN: TEST_VALUES.GATEWAY_API_TOKEN,
    });
    // The provisioned data source reads ${INFLUX_TOKEN} and ${INFLUX_BUCKET} from Grafana's environment.
    expect(service('grafana').environment).toMatchObject({
      INFLUX_TOKEN: TEST_VALUES.INFLUX_TOKEN,
      INFLUX_BUCKET: TEST_VALUES.INFLUX_BUCKET,
      GF_SECURITY_ADMIN_PASSWORD: TEST_VALUES.GRAFANA_ADMIN_PASSWORD,
    });
  });

  it('runs the simulator against the gateway with the mounted registry', () => {
    const command = service('device-sim').command;
    expect(Array.isArray(command) ? command.join(' ') : command).toBe(
      'node dist/device-sim/src/cli.js --url mqtt://gateway:1883 --registry /config/registry.yaml',
    );
  });

  it('refuses to start without the secrets, naming the missing variable', () => {
    const empty = join(dir, 'empty.env');
    writeFileSync(empty, '');
    const res = compose(['config'], empty);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/set (INFLUX_ADMIN_PASSWORD|INFLUX_TOKEN|GRAFANA_ADMIN_PASSWORD|GATEWAY_API_TOKEN) in \.env/);
  });
});

describe('.env.example', () => {
  it('lists every variable docker-compose.yml uses, each with a comment, and no other', () => {
    const used = new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    expect(envExample.map((e) => e.key).sort()).toEqual([...used].sort());
    for (const e of envExample) expect(e.comment.length, `comment above ${e.key}`).toBeGreaterThan(0);
  });

  it('holds placeholders, not secrets', () => {
    for (const key of ['INFLUX_ADMIN_PASSWORD', 'INFLUX_TOKEN', 'GRAFANA_ADMIN_PASSWORD', 'GATEWAY_API_TOKEN']) {
      expect(envExample.find((e) => e.key === key)?.value, key).toMatch(/^change-me/);
    }
  });
});

describe('Dockerfile', () => {
  // No engine here to build it; these are the promises docker-compose.yml relies on.
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('builds dependencies with a toolchain in one stage and runs without it as user node', () => {
    expect(stages).toHaveLength(3);
    expect(stages[0]).toMatch(/^node:20-bookworm-slim AS \w+/);
    expect(stages[0]).toMatch(/python3 make g\+\+/);
    expect(stages[0]).toMatch(/npm ci --omit=dev/);
    expect(stages[2]).toMatch(/^node:20-bookworm-slim\n/);
    expect(stages[2]).not.toMatch(/g\+\+|apt-get/);
    expect(stages[2]).toMatch(/^USER node$/m);
  });

  it('compiles the TypeScript in its own stage and ships only dist/ to the runtime', () => {
    expect(stages[1]).toMatch(/^node:20-bookworm-slim AS build\n/);
    expect(stages[1]).toMatch(/tsc -p tsconfig\.build\.json/);
    expect(stages[2]).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(stages[2]).not.toMatch(/^COPY gateway /m);
  });

  it('exposes MQTT and HTTP, checks /healthz with node, keeps data in /data and runs the compiled gateway', () => {
    expect(stages[2]).toMatch(/^EXPOSE 1883 8080$/m);
    expect(stages[2]).toMatch(/^HEALTHCHECK [^]*CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:[^]*\/healthz'/m);
    expect(stages[2]).toMatch(/GATEWAY_DATA_DIR=\/data/);
    expect(stages[2]).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(stages[2]).toMatch(/^CMD \["node", "dist\/gateway\/src\/main\.js"\]$/m);
  });

  it('runs the gateway with the glibc malloc setting npm start sets', () => {
    const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const setting = /^(MALLOC_MMAP_THRESHOLD_=\d+) node /.exec(start)?.[1];
    expect(setting).toBeDefined();
    expect(stages[2]).toMatch(new RegExp(`^\\s+${setting} \\\\$`, 'm'));
  });
});
