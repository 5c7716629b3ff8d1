import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, publishTelemetry, raise, resolveAndClose } from '../helpers/events.js';
import { startTestGateway, testRegistry, type TestGateway } from '../helpers/gateway.js';
import { signatureValid, startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../helpers/webhook-receiver.js';

// The receiver listens on loopback, which webhooks may reach only when allowed.
const RETRY = { GATEWAY_WEBHOOK_MIN_RETRY: '200ms', GATEWAY_WEBHOOK_MAX_RETRY: '2s', GATEWAY_WEBHOOK_ALLOW: '127.0.0.1' };
const SECRET = 'a-webhook-secret-of-some-length';

let gw: TestGateway;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  gw = await startTestGateway(RETRY);
});

afterAll(async () => {
  await gw?.stop();
  for (const r of receivers) await r.close();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver();
  receivers.push(r);
  return r;
}

async function createHook(g: TestGateway, url: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await g.post('/api/webhooks', { url, secret: SECRET, ...extra });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const body = (r: ReceivedRequest) => JSON.parse(r.body);
const deliveryId = (r: ReceivedRequest) => r.headers['x-gateway-delivery'] as string;

describe('webhook delivery through failures', () => {
  let rx: WebhookReceiver;
  let hook: string;
  let eventId: string;

  beforeAll(async () => {
    rx = await receiver();
    hook = await createHook(gw, rx.url, { sites: ['hb-chem-001'] });
    // The endpoint answers 500 to the first four attempts, then recovers.
    rx.failNext(4);
    eventId = await raise(gw, 'gas-01', { gas_lel: 61 });
    await gw.post(`/api/events/${eventId}/acknowledge`, { note: 'looking' });
    await gw.post(`/api/events/${eventId}/comments`, { note: 'pump seal leaking' });
    await resolveAndClose(gw, eventId, 'confirmed_violation');
    await rx.until((rs) => rs.filter((r) => r.status < 300).length >= 5, 15_000, 'five accepted deliveries');
  });

  it("delivers every transition of the event once, in the event's order, after the endpoint recovers", () => {
    const accepted = rx.accepted();
    expect(accepted.map((r) => [body(r).event.id, body(r).type])).toEqual([
      [eventId, 'raised'],
      [eventId, 'acknowledged'],
      [eventId, 'commented'],
      [eventId, 'resolved'],
      [eventId, 'closed'],
    ]);
    const seqs = accepted.map((r) => body(r).seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(accepted.map(deliveryId)).size).toBe(5);
  });

  it('retries the failing delivery with the same delivery id and holds the later ones back until it succeeds', () => {
    const failed = rx.requests.filter((r) => r.status === 500);
    expect(failed).toHaveLength(4);
    const firstAccepted = rx.accepted()[0]!;
    for (const f of failed) expect(deliveryId(f)).toBe(deliveryId(firstAccepted));
    expect(rx.requests.indexOf(firstAccepted)).toBe(4);
  });

  it('waits longer after each failure: exponential backoff from GATEWAY_WEBHOOK_MIN_RETRY', () => {
    const attempts = rx.requests.slice(0, 5).map((r) => r.at);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    // 200 ms, then 400, 800, 1600 (the 2 s cap is not reached yet).
    gaps.forEach((g, i) => expect(g).toBeGreaterThanOrEqual(200 * 2 ** i - 5));
  });

  it('signs each delivery: x-gateway-signature is sha256=HMAC-SHA256 of "<x-gateway-timestamp>.<body>"', () => {
    for (const r of rx.requests) {
      expect(r.headers['x-gateway-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(signatureValid(SECRET, r)).toBe(true);
      expect(signatureValid('another-secret-0123456789', r)).toBe(false);
      const ts = Number(r.headers['x-gateway-timestamp']);
      expect(Math.abs(ts * 1000 - r.at)).toBeLessThan(5_000);
      expect(r.headers['content-type']).toBe('application/json');
    }
  });

  it('sends the same transition JSON as the audit trail records', async () => {
    const audit = (await gw.api(`/api/audit?event=${eventId}`)).body.records;
    const accepted = rx.accepted().map(body);
    expect(accepted.map((b) => b.seq)).toEqual(audit.map((a: { seq: number }) => a.seq));
    expect(accepted[1]).toMatchObject({ type: 'acknowledged', actor: 'admin', note: 'looking', severity: 'critical', value: 61, event: { id: eventId, site: 'hb-chem-001', device: 'gas-01' } });
    expect(accepted[4]).toMatchObject({ type: 'closed', disposition: 'confirmed_violation' });
  });

  it('lists the deliveries with status, attempts and last error at GET /api/webhooks/:id/deliveries', async () => {
    const res = await gw.api(`/api/webhooks/${hook}/deliveries`);
    expect(res.status).toBe(200);
    const ds = res.body.deliveries as Array<Record<string, any>>;
    expect(ds.map((d) => d.id)).toEqual(rx.accepted().map(deliveryId));
    expect(ds.every((d) => d.status === 'delivered' && d.deliveredAt !== null && d.nextAttemptAt === null && d.lastError === null)).toBe(true);
    expect(ds.map((d) => d.attempts)).toEqual([5, 1, 1, 1, 1]);
    const after = await gw.api(`/api/webhooks/${hook}/deliveries?after=${ds[2]!.seq}`);
    expect(after.body.deliveries.map((d: { id: string }) => d.id)).toEqual(ds.slice(3).map((d) => d.id));
  });
});

describe('webhook filters', () => {
  it('sends a webhook only the sites and minimum severity it asked for', async () => {
    const rx = await receiver();
    await createHook(gw, rx.url, { sites: ['mine-007'], minSeverity: 'critical' });
    const chem = await raise(gw, 'gas-02', { gas_lel: 80 });
    const mine = await raise(gw, 'ch4-01', { ch4: 1.2 });
    await publishTelemetry(gw, 'ch4-01', { ch4: 1.7 });
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.2 });
    await rx.until((rs) => rs.some((r) => body(r).type === 'resolved'), 10_000, 'the resolved delivery');
    // The major 'raised' is below the minimum; the event counts from its escalation to critical.
    expect(rx.accepted().map((r) => [body(r).event.id, body(r).type])).toEqual([
      [mine, 'escalated'],
      [mine, 'resolved'],
    ]);
    expect(rx.requests.some((r) => body(r).event.id === chem)).toBe(false);
    await resolveAndClose(gw, chem);
  });

  it('sends a webhook only the supervision items it asked for', async () => {
    const rx = await receiver();
    await createHook(gw, rx.url, { items: ['HC-02'] });
    const lel = await raise(gw, 'gas-02', { gas_lel: 80 });
    const toxic = await raise(gw, 'gas-02', { toxic_ppm: 25 });
    await rx.until((rs) => rs.some((r) => body(r).event.id === toxic), 10_000, 'the toxic-gas delivery');
    expect(rx.requests.every((r) => body(r).event.item === 'HC-02')).toBe(true);
    expect(rx.requests.some((r) => body(r).event.id === lel)).toBe(false);
    await resolveAndClose(gw, lel);
    await resolveAndClose(gw, toxic);
  });

  it('stops sending to a webhook once it is deleted', async () => {
    const rx = await receiver();
    const other = await receiver();
    const hook = await createHook(gw, rx.url);
    await createHook(gw, other.url);
    expect((await gw.api(`/api/webhooks/${hook}`, { method: 'DELETE' })).body.disabled).toBe(true);
    const id = await raise(gw, 'ch4-01', { ch4: 2 });
    await other.until((rs) => rs.some((r) => body(r).event.id === id), 10_000, 'the delivery to the other webhook');
    expect(rx.requests).toHaveLength(0);
    await publishTelemetry(gw, 'ch4-01', { ch4: 0.1 });
  });
});

describe('the webhook admin API', () => {
  it('answers 400 naming the secret when it is shorter than 16 characters', async () => {
    const res = await gw.post('/api/webhooks', { url: 'http://127.0.0.1:9/x', secret: 'short' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('secret');
  });

  it('answers 400 naming the url when it is not http(s)', async () => {
    const res = await gw.post('/api/webhooks', { url: 'ftp://example.com/x', secret: SECRET });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('url');
  });

  it('answers 403 GW_FORBIDDEN to a supervisor creating or listing webhooks', async () => {
    const token = await createUser(gw, 'sup-webhooks', 'supervisor');
    expect((await gw.post('/api/webhooks', { url: 'http://127.0.0.1:9/x', secret: SECRET }, token)).body.error.code).toBe('GW_FORBIDDEN');
    expect((await gw.api('/api/webhooks', { token })).status).toBe(403);
  });

  it('answers 404 for the deliveries of an unknown webhook', async () => {
    const res = await gw.api('/api/webhooks/wh-000000000000/deliveries');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('GW_NOT_FOUND');
  });

  it('never shows the webhook secret', async () => {
    const res = await gw.api('/api/webhooks');
    expect(res.body.webhooks.length).toBeGreaterThan(0);
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
  });
});

describe('the delivery queue across a gateway restart', () => {
  let dir: string;
  let first: TestGateway | undefined;
  let second: TestGateway | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-webhook-restart-'));
  });
  afterAll(async () => {
    await first?.stop().catch(() => undefined);
    await second?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps undelivered transitions in the state database and delivers them, once and in order, after a restart', async () => {
    const rx = await receiver();
    rx.down = true;
    first = await startTestGateway(RETRY, testRegistry, dir);
    await createHook(first, rx.url);
    const id = await raise(first, 'ch4-01', { ch4: 2 });
    await first.post(`/api/events/${id}/acknowledge`, {});
    await rx.until((rs) => rs.length >= 2, 10_000, 'two failed attempts');
    await first.stop();
    first = undefined;

    rx.down = false;
    second = await startTestGateway(RETRY, testRegistry, dir);
    await rx.until((rs) => rs.filter((r) => r.status < 300).length >= 2, 15_000, 'both deliveries after the restart');
    expect(rx.accepted().map((r) => [body(r).event.id, body(r).type])).toEqual([
      [id, 'raised'],
      [id, 'acknowledged'],
    ]);
    expect(new Set(rx.accepted().map(deliveryId)).size).toBe(2);
    for (const r of rx.requests) expect(signatureValid(SECRET, r)).toBe(true);
  });
});

describe('stopping while a delivery hangs', () => {
  it('stops the gateway cleanly while an endpoint never answers, and retries that delivery after the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-webhook-hang-'));
    const rx = await receiver();
    rx.hang = true;
    let g: TestGateway | undefined = await startTestGateway(RETRY, testRegistry, dir);
    try {
      await createHook(g, rx.url);
      const id = await raise(g, 'ch4-01', { ch4: 2 });
      await rx.until((rs) => rs.length >= 1, 10_000, 'the hanging request');
      await g.stop();
      g = undefined;
      rx.hang = false;
      g = await startTestGateway(RETRY, testRegistry, dir);
      await rx.until((rs) => rs.some((r) => r.status === 204), 15_000, 'the delivery after the restart');
      expect(rx.accepted().map((r) => [body(r).event.id, body(r).type])).toEqual([[id, 'raised']]);
      const deliveries = (await g.api(`/api/webhooks/${(await g.api('/api/webhooks')).body.webhooks[0].id}/deliveries`)).body.deliveries;
      expect(deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    } finally {
      await g?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
