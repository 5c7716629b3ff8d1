import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPILED_GATEWAY, spawnGateway, type GatewayProcess } from '../helpers/gateway-process.js';

// `npm start` runs compiled JavaScript from dist/ (issue 18): the launcher builds it when the
// sources are newer, and the compiled gateway must find the files shipped beside the code.
describe('npm start (compiled runtime)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-compiled-'));
  const env = { GATEWAY_DATA_DIR: dataDir, GATEWAY_REGISTRY: resolve('registry.example.yaml'), INFLUX_URL: '' };
  const started: GatewayProcess[] = [];

  afterAll(async () => {
    for (const g of started) {
      g.child.kill('SIGTERM');
      await g.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start() {
    const g = await spawnGateway(env, 150_000, COMPILED_GATEWAY);
    started.push(g);
    return g;
  }

  it('runs the gateway from dist/ and serves the console from the checkout', { timeout: 180_000 }, async () => {
    const g = await start();
    expect(existsSync(resolve('dist/gateway/src/main.js'))).toBe(true);
    expect(existsSync(resolve('dist/gateway/src/main.js.map'))).toBe(true);
    const page = await fetch(`${g.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    g.child.kill('SIGTERM');
    expect((await g.exited).code).toBe(0);
  });

  it('does not compile again when no source changed since the last build', { timeout: 180_000 }, async () => {
    const g = await start();
    expect(g.output()).not.toContain('Compiling the TypeScript sources');
    g.child.kill('SIGTERM');
    expect((await g.exited).code).toBe(0);
  });
});
