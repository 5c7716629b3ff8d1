import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deliverySchema, newWebhookSchema, webhookSchema, type Webhooks } from '../../fanout/index.js';
import { principal } from '../auth.js';
import { ApiError } from '../errors.js';
import { limitParam, pageLimit } from '../query.js';

const params = z.object({ id: z.string().regex(/^wh-[0-9a-f]{12}$/, 'is not a webhook id') });

/** What the routes of webhooks read. */
export interface WebhookRouteDeps {
  webhooks: Webhooks;
  /** Largest page a list may ask for. */
  maxPage?: number;
}

export const webhookRoutes = (deps: WebhookRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/webhooks', { config: { role: 'admin' }, schema: { response: { 200: z.object({ webhooks: z.array(webhookSchema) }) } } }, async () => ({
    webhooks: deps.webhooks.list(),
  }));

  app.post('/api/webhooks', { config: { role: 'admin' }, schema: { body: newWebhookSchema, response: { 201: webhookSchema } } }, async (req, reply) => {
    // Checked again at every delivery, on the address actually connected to.
    const refused = await deps.webhooks.refusedTarget(req.body.url);
    if (refused) throw new ApiError('GW_BAD_REQUEST', `body.url: ${refused}; allow it with GATEWAY_WEBHOOK_ALLOW`);
    return reply.code(201).send(deps.webhooks.create(req.body, principal(req).user));
  },
  );

  app.delete('/api/webhooks/:id', { config: { role: 'admin' }, schema: { params, response: { 200: webhookSchema } } }, async (req) => {
    const w = deps.webhooks.disable(req.params.id);
    if (!w) throw new ApiError('GW_NOT_FOUND', `no webhook ${req.params.id}`);
    return w;
  });

  app.get(
    '/api/webhooks/:id/deliveries',
    {
      config: { role: 'admin' },
      schema: {
        params,
        querystring: z.object({ after: z.coerce.number().int().min(0).default(0), limit: limitParam(1000, 100) }).strict(),
        response: { 200: z.object({ deliveries: z.array(deliverySchema) }) },
      },
    },
    async (req) => {
      if (!deps.webhooks.get(req.params.id)) throw new ApiError('GW_NOT_FOUND', `no webhook ${req.params.id}`);
      return { deliveries: deps.webhooks.deliveries(req.params.id, req.query.after, pageLimit(req, req.query.limit, deps.maxPage)) };
    },
  );
};
