import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { severitySchema } from '../../domain/index.js';
import { eventDetailSchema, eventStateSchema, supervisionEventSchema } from '../../events/index.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { idParam, limitParam, timeParam } from '../query.js';

const listQuery = z
  .object({
    site: idParam.optional(),
    device: idParam.optional(),
    state: eventStateSchema.optional(),
    severity: severitySchema.optional(),
    since: timeParam.optional(),
    until: timeParam.optional(),
    limit: limitParam(1000, 100),
  })
  .strict();

export const eventRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/api/events',
    { schema: { querystring: listQuery, response: { 200: z.object({ events: z.array(supervisionEventSchema) }) } } },
    async (req) => ({ events: deps.events.list(req.query) }),
  );

  app.get(
    '/api/events/:id',
    {
      schema: {
        params: z.object({ id: z.string().regex(/^ev-[0-9a-z]{9}-[0-9a-f]{10}$/, 'is not an event id') }),
        response: { 200: eventDetailSchema },
      },
    },
    async (req) => {
      const event = deps.events.get(req.params.id);
      if (!event) throw new ApiError('GW_NOT_FOUND', `no event ${req.params.id}`);
      return event;
    },
  );
};
