// POST /api/devices/:id/hj212/commands (supervisor) and GET .../commands/:qn: the downlink.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principal, requireSite } from '../api/auth.js';
import { ApiError } from '../api/index.js';
import { idSchema } from '../domain/index.js';
import type { Registry } from '../registry/index.js';
import { CODE_2005_TO_2017, FACTORS } from './codes.js';
import { CommandError, commandStatusSchema, hj212CommandSchema, type Hj212Commands } from './commands.js';

export const hj212CommandRoutes =
  (deps: { registry: () => Registry; commands: Hj212Commands }): FastifyPluginAsyncZod =>
  async (app) => {
    const params = z.object({ id: idSchema });
    function deviceOf(id: string, req: Parameters<typeof principal>[0]) {
      const device = deps.registry().device(id);
      if (!device) throw new ApiError('GW_NOT_FOUND', `no device ${id}`);
      requireSite(principal(req), device.site);
      return device;
    }

    app.post(
      '/api/devices/:id/hj212/commands',
      { config: { role: 'supervisor' }, schema: { params, body: hj212CommandSchema, response: { 202: commandStatusSchema } } },
      async (req, reply) => {
        const device = deviceOf(req.params.id, req);
        try {
          return reply.code(202).send(deps.commands.send(device, req.body, principal(req).user));
        } catch (err) {
          if (err instanceof CommandError) throw new ApiError('GW_CONFLICT', err.message);
          throw err;
        }
      },
    );

    // The monitoring-factor table (2017 code -> Chinese and English name, unit) for the console.
    app.get(
      '/api/hj212/factors',
      { config: { role: 'viewer' }, schema: { response: { 200: z.object({ factors: z.record(z.string(), z.object({ zh: z.string(), en: z.string(), unit: z.string() })), codes2005: z.record(z.string(), z.string()) }) } } },
      async () => ({ factors: { ...FACTORS }, codes2005: { ...CODE_2005_TO_2017 } }),
    );

    app.get(
      '/api/devices/:id/hj212/commands/:qn',
      { config: { role: 'supervisor' }, schema: { params: params.extend({ qn: z.string().regex(/^\d{17}$/, 'is not a QN') }), response: { 200: commandStatusSchema } } },
      async (req) => {
        const device = deviceOf(req.params.id, req);
        const c = deps.commands.get(req.params.qn);
        if (!c || c.device !== device.device) throw new ApiError('GW_NOT_FOUND', `no command ${req.params.qn} for ${device.device}`);
        return c;
      },
    );
  };
