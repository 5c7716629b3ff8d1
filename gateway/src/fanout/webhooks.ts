import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { idSchema, severitySchema, type Severity } from '../domain/index.js';
import type { AppliedTransition } from '../events/index.js';
import type { Logger } from '../observability/index.js';
import type { StateDb } from '../storage/index.js';
import { EgressRefused, checkTarget, parseAllowList, post, type EgressPolicy } from './egress.js';
import { matches, transitionMessage } from './message.js';

export const newWebhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
    secret: z.string().min(16, 'must be at least 16 characters').max(256),
    sites: z.array(idSchema).min(1).optional(),
    items: z.array(z.string().min(1).max(64)).min(1).optional(),
    minSeverity: severitySchema.default('info'),
  })
  .strict();
export type NewWebhook = z.infer<typeof newWebhookSchema>;

export const webhookSchema = z.object({
  id: z.string(),
  url: z.string(),
  sites: z.array(z.string()).nullable(),
  items: z.array(z.string()).nullable(),
  minSeverity: severitySchema,
  createdBy: z.string(),
  createdAt: z.number(),
  disabled: z.boolean(),
});
export type Webhook = z.infer<typeof webhookSchema>;

export const deliverySchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  seq: z.number(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number(),
  nextAttemptAt: z.number().nullable(),
  lastAttemptAt: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.number(),
  deliveredAt: z.number().nullable(),
});
export type Delivery = z.infer<typeof deliverySchema>;

interface WebhookRow {
  id: string;
  url: string;
  secret: string;
  sites: string | null;
  items: string | null;
  min_severity: string;
  created_by: string;
  created_at: number;
  disabled_at: number | null;
}
interface DeliveryRow {
  id: string;
  webhook_id: string;
  audit_seq: number;
  body: string;
  status: Delivery['status'];
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  url: r.url,
  sites: r.sites ? JSON.parse(r.sites) : null,
  items: r.items ? JSON.parse(r.items) : null,
  minSeverity: r.min_severity as Severity,
  createdBy: r.created_by,
  createdAt: r.created_at,
  disabled: r.disabled_at !== null,
});
const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  seq: r.audit_seq,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
  lastAttemptAt: r.last_attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

/** `sha256=<hex>` over `<timestamp>.<body>`: receivers check it and reject stale timestamps. */
export function signBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookRetry {
  minDelayMs: number;
  maxDelayMs: number;
  /** A delivery still failing this long after it was queued is marked failed (24 h). */
  giveUpAfterMs: number;
  timeoutMs: number;
}
export const defaultWebhookRetry: WebhookRetry = { minDelayMs: 1000, maxDelayMs: 10 * 60_000, giveUpAfterMs: 24 * 3_600_000, timeoutMs: 10_000 };

export type Webhooks = ReturnType<typeof createWebhooks>;

/**
 * Webhook endpoints and their delivery queue, kept in the state database so a restart loses
 * nothing. One delivery at a time per endpoint, in audit order: a failing delivery holds
 * back the later ones, so every endpoint sees an event's transitions in order.
 */
export function createWebhooks(db: StateDb, opts: { logger: Logger; clock?: () => number; retry?: Partial<WebhookRetry>; egress?: EgressPolicy }) {
  const clock = opts.clock ?? Date.now;
  const egress = opts.egress ?? parseAllowList(undefined);
  const retry = { ...defaultWebhookRetry, ...opts.retry };
  const log = opts.logger;
  const q = {
    active: db.prepare('SELECT * FROM webhooks WHERE disabled_at IS NULL'),
    all: db.prepare('SELECT * FROM webhooks ORDER BY created_at, id'),
    byId: db.prepare('SELECT * FROM webhooks WHERE id = ?'),
    insert: db.prepare('INSERT INTO webhooks (id, url, secret, sites, items, min_severity, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    disable: db.prepare('UPDATE webhooks SET disabled_at = ? WHERE id = ?'),
    enqueue: db.prepare(`INSERT INTO deliveries (id, webhook_id, audit_seq, body, status, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`),
    head: db.prepare(`SELECT * FROM deliveries WHERE webhook_id = ? AND status = 'pending' ORDER BY audit_seq LIMIT 1`),
    deliveries: db.prepare('SELECT * FROM deliveries WHERE webhook_id = ? AND audit_seq > ? ORDER BY audit_seq LIMIT ?'),
    done: db.prepare(`UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_attempt_at = ?, delivered_at = ?, last_error = NULL WHERE id = ?`),
    failed: db.prepare('UPDATE deliveries SET status = ?, attempts = attempts + 1, last_attempt_at = ?, next_attempt_at = ?, last_error = ? WHERE id = ?'),
    abandon: db.prepare(`UPDATE deliveries SET status = 'failed', last_error = 'webhook deleted', last_attempt_at = COALESCE(last_attempt_at, ?) WHERE webhook_id = ? AND status = 'pending'`),
    pendingCount: db.prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'`),
  };
  let active: WebhookRow[] = q.active.all() as WebhookRow[];
  const inFlight = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  // Aborts deliveries still hanging when stop() gives up waiting: their outcome must be written
  // before the caller closes the database (a write after that rejected with nothing to catch it).
  let aborter = new AbortController();

  async function attempt(hook: WebhookRow, d: DeliveryRow): Promise<void> {
    const timestamp = String(Math.floor(clock() / 1000));
    const started = clock();
    let error: string | null = null;
    try {
      const status = await post(
        hook.url,
        {
          'content-type': 'application/json',
          'user-agent': 'remote-supervision-gateway',
          'x-gateway-delivery': d.id,
          'x-gateway-timestamp': timestamp,
          'x-gateway-signature': signBody(hook.secret, timestamp, d.body),
        },
        d.body,
        AbortSignal.any([AbortSignal.timeout(retry.timeoutMs), aborter.signal]),
        egress,
      );
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      // Coarse on purpose: the wording must not tell an admin which internal ports are open.
      error = err instanceof EgressRefused ? err.message : (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError' ? 'no answer in time' : 'connection failed';
    }
    const now = clock();
    // Settled after the database was closed: the delivery stays pending and goes again next start.
    if (!db.open) return;
    if (error === null) {
      q.done.run(now, now, d.id);
      return;
    }
    const attempts = d.attempts + 1;
    const giveUp = now - d.created_at >= retry.giveUpAfterMs;
    const delay = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** Math.min(attempts - 1, 30));
    q.failed.run(giveUp ? 'failed' : 'pending', now, now + delay, error, d.id);
    log.warn({ webhook: hook.id, delivery: d.id, attempts, error, giveUp, tookMs: now - started }, giveUp ? 'webhook delivery given up' : 'webhook delivery failed; will retry');
  }

  function pump() {
    if (stopped) return;
    const now = clock();
    for (const hook of active) {
      if (inFlight.has(hook.id)) continue;
      const d = q.head.get(hook.id) as DeliveryRow | undefined;
      if (!d || d.next_attempt_at > now) continue;
      inFlight.add(hook.id);
      void attempt(hook, d).finally(() => {
        inFlight.delete(hook.id);
        // The next delivery of this endpoint goes as soon as this one is settled.
        setImmediate(pump);
      });
    }
  }

  return {
    /** Why a URL may not be a webhook target (resolved as a delivery would), or null. */
    refusedTarget: (url: string): Promise<string | null> => checkTarget(url, egress),
    create(w: NewWebhook, actor: string): Webhook {
      const id = `wh-${randomBytes(6).toString('hex')}`;
      q.insert.run(id, w.url, w.secret, w.sites ? JSON.stringify(w.sites) : null, w.items ? JSON.stringify(w.items) : null, w.minSeverity, actor, clock());
      active = q.active.all() as WebhookRow[];
      return toWebhook(q.byId.get(id) as WebhookRow);
    },
    list: (): Webhook[] => (q.all.all() as WebhookRow[]).map(toWebhook),
    get(id: string): Webhook | undefined {
      const r = q.byId.get(id) as WebhookRow | undefined;
      return r ? toWebhook(r) : undefined;
    },
    disable(id: string): Webhook | undefined {
      q.disable.run(clock(), id);
      // Nothing more will be sent to it: its queue is closed, not left pending forever.
      q.abandon.run(clock(), id);
      active = q.active.all() as WebhookRow[];
      return this.get(id);
    },
    deliveries: (id: string, afterSeq: number, limit: number): Delivery[] => (q.deliveries.all(id, afterSeq, limit) as DeliveryRow[]).map(toDelivery),
    pending: () => (q.pendingCount.get() as { n: number }).n,

    /** Queues the transition for every matching endpoint; call inside the transition's own DB transaction. */
    enqueue(a: AppliedTransition): void {
      if (a.event.suppressed) return;
      let body: string | undefined;
      for (const hook of active) {
        const filter = { sites: hook.sites ? JSON.parse(hook.sites) : null, items: hook.items ? JSON.parse(hook.items) : null, minSeverity: hook.min_severity as Severity };
        if (!matches(filter, a)) continue;
        body ??= JSON.stringify(transitionMessage(a));
        q.enqueue.run(`dl-${randomBytes(8).toString('hex')}`, hook.id, a.transition.seq, body, clock(), clock());
      }
    },
    /** Wakes the sender (after a commit that queued deliveries). */
    kick: () => setImmediate(pump),
    start() {
      stopped = false;
      aborter = new AbortController();
      timer = setInterval(pump, 250);
      timer.unref();
      pump();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      const deadline = Date.now() + 5000;
      while (inFlight.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Still hanging: abort, so each is recorded as a failed attempt and retried after the next start.
      aborter.abort(new Error('gateway stopping'));
      const hard = Date.now() + 1000;
      while (inFlight.size && Date.now() < hard) await new Promise((r) => setTimeout(r, 5));
    },
  };
}
