import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hj212Registry, loggersOf, runHj212 } from '../../device-sim/src/hj212/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

// The HJ 212 simulator against a real gateway over TCP (history in the gateway's private influxd).
const registry = hj212Registry(2, 'sim-test');
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ GATEWAY_HJ212_PORT: '0' }, registry);
});
afterAll(async () => {
  await gw?.stop();
});

async function accepted(): Promise<number> {
  const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  return Number(/^gateway_hj212_frames_total\{outcome="accepted"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

describe('npm run sim -- --protocol hj212 against the gateway', () => {
  it('has every frame of its loggers acknowledged, including the history re-sent after an outage', { timeout: 120_000 }, async () => {
    const loggers = loggersOf(registry, new Map([['outage', new Set(['hj212-02'])]]));
    const run = runHj212({ host: '127.0.0.1', port: gw.hj212Port!, loggers, seed: 's', intervalMs: 30_000, backfillMs: 4 * 60_000, durationMs: 4 * 60_000, outage: { atMs: 60_000, forMs: 90_000 }, ackTimeoutMs: 10_000 });
    const stats = await run.done;
    expect(stats.resent).toBeGreaterThan(0);
    expect(stats.acked).toBe(stats.sent);
    expect(await accepted()).toBe(stats.sent);
  });
});
