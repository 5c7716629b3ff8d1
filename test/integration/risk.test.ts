import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAndClose } from '../helpers/events.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { supervisionRegistry } from '../helpers/supervision.js';

let gw: TestGateway;

async function raiseGas(device: string, site: string): Promise<string> {
  const client = await gw.connect(device);
  await client.publishAsync(`sites/${site}/devices/${device}/telemetry`, JSON.stringify({ metrics: { gas_lel: 58 } }), { qos: 1 });
  await client.endAsync();
  const ev = await eventually(async () => (await gw.api(`/api/events?site=${site}`)).body.events.find((e: any) => e.item === 'HC-01'), 10_000, 'the gas event');
  return ev.id;
}

beforeAll(async () => {
  gw = await startTestGateway({}, supervisionRegistry);
  const id = await raiseGas('chem-d-gas', 'chem-d');
  await resolveAndClose(gw, id, 'confirmed_violation');
  await gw.gateway.supervision.evaluateRisk();
});

afterAll(async () => {
  await gw?.stop();
});

describe('risk through the API', () => {
  it('ranks the site with a confirmed critical violation and credit grade D first', async () => {
    const res = await gw.api('/api/risk');
    expect(res.status).toBe(200);
    expect(res.body.sites[0]).toMatchObject({ site: 'chem-d', level: 'orange', name: '丁化工有限公司' });
    expect(res.body.sites.map((s: any) => s.site)).toHaveLength(4);
  });

  it('answers why a site scores what it does: the breakdown adds up to the score', async () => {
    const { current } = (await gw.api('/api/sites/chem-d/risk')).body;
    const sum = current.breakdown.reduce((s: number, l: any) => s + l.points * 100, 0) / 100;
    expect(sum).toBeCloseTo(current.score, 10);
    expect(current.breakdown.map((l: any) => l.factor)).toEqual(expect.arrayContaining(['events', 'credit_grade']));
  });

  it('raised one RISK-01 event through the lifecycle, and no second on the next evaluation', async () => {
    await gw.gateway.supervision.evaluateRisk();
    const events = (await gw.api('/api/events?site=chem-d')).body.events.filter((e: any) => e.item === 'RISK-01');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ state: 'open', severity: 'major' });
  });

  it('keeps the score history in InfluxDB (measurement risk) as the trend', async () => {
    await gw.gateway.history.flush();
    const trend = await eventually(async () => {
      const t = (await gw.api('/api/sites/chem-d/risk')).body.trend;
      return t.length >= 2 ? t : null;
    }, 15_000, 'two risk points in InfluxDB');
    expect(trend.at(-1)).toMatchObject({ level: 'orange' });
  });

  it('hides a site outside the caller scope', async () => {
    const token = (await gw.post('/api/users', { name: 'view-a', role: 'viewer', sites: ['chem-a'] })).body.token;
    expect((await gw.api('/api/sites/chem-d/risk', { token })).status).toBe(404);
    expect((await gw.api('/api/risk', { token })).body.sites.map((s: any) => s.site)).toEqual(['chem-a']);
  });
});

describe('data quality in the risk score', () => {
  it('counts the share of readings flagged invalid exactly (2 of 5 readings, in 1 of 3 messages)', async () => {
    const client = await gw.connect('cn-1-dust');
    const topic = 'sites/cn-1/devices/cn-1-dust/telemetry';
    for (const m of [{ metrics: { pm10: 40, noise_db: 50 } }, { metrics: { pm10: 41, noise_db: 51 }, flags: { pm10: 'D', noise_db: 'D' } }, { metrics: { pm10: 42 } }]) await client.publishAsync(topic, JSON.stringify(m), { qos: 1 });
    await client.endAsync();
    await gw.gateway.history.flush();
    const line = await eventually(async () => {
      await gw.gateway.supervision.evaluateRisk();
      const { current } = (await gw.api('/api/sites/cn-1/risk')).body;
      return current.breakdown.find((l: any) => l.factor === 'data_quality');
    }, 15_000, 'a data-quality line in the breakdown of cn-1');
    // Flagged messages over messages would say 33.3 %; flagged readings over readings are 40 %.
    expect(line.detail).toBe('40.0 % of readings flagged invalid');
  });
});
