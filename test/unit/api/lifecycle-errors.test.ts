import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApi, type TestApi } from '../../helpers/api.js';

// Lifecycle requests the event's state does not allow, answered by the one error handler.
let t: TestApi;
let id: string;

beforeAll(async () => {
  t = await buildTestApi();
  const raised = t.events.applyRuleTransition({
    type: 'raised', key: 'gas|site-a|gas-01', rule: 'gas', ruleVersion: 'v1', item: 'HC-01', title: 'Gas', site: 'site-a', device: 'gas-01',
    sector: 'hazardous_chemicals', severity: 'critical', value: 60, threshold: 50, at: Date.now(), message: 'gas 60 %LEL',
  });
  id = raised!.event.id;
});

afterAll(async () => {
  await t?.close();
});

describe('event lifecycle errors through the API', () => {
  it('answers 409 GW_CONFLICT with the current state when closing an event that is not resolved', async () => {
    const res = await t.request('POST', `/api/events/${id}/close`, { disposition: 'false_alarm', note: 'not yet' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'GW_CONFLICT', state: 'open' });
    expect(res.body.error.message).toContain('only a resolved event can be closed');
  });

  it('answers 404 GW_NOT_FOUND for a maintenance window that does not exist', async () => {
    const res = await t.request('POST', '/api/maintenance/mw-000000000000/end');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('GW_NOT_FOUND');
  });

  it('acknowledges an open event once, and records nothing for a second acknowledge', async () => {
    const first = await t.request('POST', `/api/events/${id}/acknowledge`, {});
    expect(first.status).toBe(200);
    expect(first.body.transition.type).toBe('acknowledged');
    const second = await t.request('POST', `/api/events/${id}/acknowledge`, {});
    expect(second.status).toBe(200);
    expect(second.body.transition).toBeNull();
  });
});
