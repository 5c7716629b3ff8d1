import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { run as registryCli } from '../../gateway/src/registry/cli.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

function connectOutcome(url: string, id: string, secret: string): Promise<{ connected: boolean; code?: number }> {
  const c = mqtt.connect(url, { clientId: id, username: id, password: secret, reconnectPeriod: 0, connectTimeout: 5000 });
  return new Promise((resolve) => {
    c.once('connect', () => (c.end(true), resolve({ connected: true })));
    c.once('error', (err: Error & { code?: number }) => (c.end(true), resolve({ connected: false, code: err.code })));
  });
}

describe('registry changes while the gateway runs', () => {
  it('lets a device added with the registry CLI connect without a restart', async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    const file = join(gw.dataDir, 'registry.yaml');
    const out: string[] = [];
    const code = await registryCli(['add-device', '--site', 'hb-chem-001', '--id', 'gas-09', '--registry', file], {
      out: (t) => void out.push(t),
      err: (t) => void out.push(t),
      readStdin: async () => '',
      env: {},
    });
    expect(code).toBe(0);
    const secret = /\n\s+(\S+)\n/.exec(out.join(''))![1]!;
    expect(readFileSync(file, 'utf8')).not.toContain(secret);
    await eventually(async () => (await connectOutcome(gw!.mqttUrl, 'gas-09', secret)).connected, 10_000, 'gas-09 to be let in');
  });

  it('disconnects a device removed from the registry', async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    const dev = await gw.connect('gas-02');
    const closed = new Promise<void>((r) => dev.once('close', () => r()));
    const file = join(gw.dataDir, 'registry.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n.*id: gas-02\n.*\n.*secret: gas-02-secret\n/, '\n'));
    const res = await gw.post('/api/registry/reload', {});
    expect(res.status).toBe(200);
    expect(res.body.removed).toContain('gas-02');
    await closed;
    expect((await connectOutcome(gw.mqttUrl, 'gas-02', 'gas-02-secret')).code).toBe(4);
  });

  it('refuses an invalid registry on reload with its problems and keeps the one in force', async () => {
    gw = await startTestGateway({ INFLUX_URL: '' });
    writeFileSync(join(gw.dataDir, 'registry.yaml'), 'sites:\n  - id: x\n    sector: farming\n');
    const res = await gw.post('/api/registry/reload', {});
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('GW_REGISTRY_INVALID');
    expect(res.body.error.problems.join(' ')).toMatch(/sector/);
    expect((await connectOutcome(gw.mqttUrl, 'gas-01', 'gas-01-secret')).connected).toBe(true);
  });
});
