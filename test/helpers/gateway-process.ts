import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { TEST_TOKEN, testRegistry } from './gateway.js';

export interface GatewayProcess {
  child: ChildProcess;
  mqttPort: number;
  httpUrl: string;
  output: () => string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The sources through tsx, as `npm run dev` runs them. */
export const TSX_GATEWAY = ['--import', 'tsx', resolve('gateway/src/main.ts')];
/** What `npm start` runs: the launcher that compiles to dist/ when needed, then imports it. */
export const COMPILED_GATEWAY = [resolve('scripts/run.mjs'), 'gateway/src/main.ts'];

/** Runs the gateway as a real child process (by default `node --import tsx gateway/src/main.ts`). */
export async function spawnGateway(env: Record<string, string>, timeoutMs = 30_000, args: string[] = TSX_GATEWAY): Promise<GatewayProcess> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, GATEWAY_HOST: '127.0.0.1', GATEWAY_MQTT_PORT: '0', GATEWAY_HTTP_PORT: '0', GATEWAY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  const ready = await new Promise<RegExpExecArray>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`gateway did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /gateway ready: MQTT on port (\d+), HTTP at (\S+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code }) => (clearTimeout(timer), rej(new Error(`gateway exited with ${code} before it was ready:\n${out}`))));
  });
  return { child, mqttPort: Number(ready[1]), httpUrl: ready[2]!, output: () => out, exited };
}

/**
 * A gateway child process on the test registry and the shipped rules, with its data under
 * `dir`: for tests that measure the process itself (its memory) rather than call into it.
 */
export function spawnTestGatewayProcess(dir: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const registry = join(dir, 'registry.yaml');
  writeFileSync(registry, stringify(testRegistry));
  return spawnGateway({ GATEWAY_DATA_DIR: join(dir, 'data'), GATEWAY_REGISTRY: registry, GATEWAY_RULES_DIR: resolve('rules'), GATEWAY_API_TOKEN: TEST_TOKEN, ...env });
}
