// Makes sure the programs the tests run for real are installed (ARCHITECTURE.md: real
// InfluxDB, real Chromium... in tests). Run by `npm test` before vitest; plain Node, no deps.
// Each dependency is one entry of DEPS: the binaries that prove it is there and the
// Debian packages that provide them. Missing ones are installed with apt-get when we are
// root and apt-get exists; otherwise the exact command is printed and we exit 1.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const DEPS = [
  { name: 'InfluxDB 1.x server', binaries: ['influxd'], env: 'INFLUXD_BIN', apt: ['influxdb'] },
  // `docker-compose config` validates docker-compose.yml without a Docker engine.
  { name: 'docker-compose (compose file validation)', binaries: ['docker-compose'], apt: ['docker-compose'] },
  // Self-signed certificates for the TLS and mutual-TLS tests are made with openssl.
  { name: 'OpenSSL (test certificates)', binaries: ['openssl'], apt: ['openssl'] },
  { name: 'Chromium (console e2e)', binaries: ['chromium'], apt: ['chromium'] },
  // A CJK font, so the zh-CN console screenshots show Chinese rather than empty boxes.
  { name: 'CJK font (console e2e screenshots)', binaries: [], files: ['/usr/share/fonts/truetype/wqy/wqy-microhei.ttc'], apt: ['fonts-wqy-microhei'] },
];

function isExecutable(p) {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(binary) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, binary)));
}

function present(dep) {
  if (dep.env && process.env[dep.env]) return isExecutable(process.env[dep.env]);
  return dep.binaries.every(onPath) && (dep.files ?? []).every((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
}

function run(cmd, args) {
  console.log(`ensure-deps: $ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error) {
    console.error(`ensure-deps: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`ensure-deps: ${cmd} ${args.join(' ')} failed with exit code ${r.status ?? r.signal}`);
    process.exit(r.status ?? 1);
  }
}

const missing = DEPS.filter((d) => !present(d));
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.flatMap((d) => d.apt))];
console.log(`ensure-deps: missing ${missing.map((d) => `${d.name} (${d.binaries.join(', ')})`).join('; ')}`);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !onPath('apt-get')) {
  const sudo = isRoot ? '' : 'sudo ';
  console.error('ensure-deps: install them, then run the tests again:');
  console.error(`  ${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`);
  if (!onPath('apt-get')) console.error('  (no apt-get here: install the equivalent packages with your package manager)');
  process.exit(1);
}

run('apt-get', ['update']);
run('apt-get', ['install', '-y', ...packages]);

const still = DEPS.filter((d) => !present(d));
if (still.length > 0) {
  console.error(`ensure-deps: still missing after install: ${still.map((d) => d.binaries.join(', ')).join('; ')}`);
  process.exit(1);
}
console.log('ensure-deps: all test dependencies are installed');
