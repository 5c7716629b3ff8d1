// POST /api/devices/:id/commands (supervisor), GET /api/devices/:id/commands and
// GET /api/commands/:id (operator, own sites). Sending is for supervisors only: a command acts
// on the enterprise's equipment (an HJ 212 command sets a logger's clock or interval, which
// changes the evidence it produces), so it is a supervisory act with the supervisor's name on
// it in the audit trail; operators follow what was sent to their sites.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSee, principal } from '../api/auth.js';
import { ApiError } from '../api/index.js';
import { limitParam, pageLimit, timeParam } from '../api/query.js';
import { idSchema } from '../domain/index.js';
import { commandIdSchema } from '../protocol/commands.js';
import type { Registry } from '../registry/index.js';
import { commandRecordSchema, newCommandSchema } from './schema.js';
import { CommandRefused, type DeviceCommands } from './service.js';

export interface CommandRouteDeps {
  registry: () => Registry;
  commands: DeviceCommands;
  maxPage?: number;
}

export const commandRoutes =
  (deps: CommandRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const params = z.object({ id: idSchema });
    // A device outside the caller's sites is answered like an unknown one (its existence is not revealed).
    function deviceOf(id: string, req: Parameters<typeof principal>[0]) {
      const device = deps.registry().device(id);
      if (!device || !canSee(principal(req), device.site)) throw new ApiError('GW_NOT_FOUND', `no device ${id}`);
      return device;
    }

    app.post(
      '/api/devices/:id/commands',
      { config: { role: 'supervisor' }, schema: { params, body: newCommandSchema, response: { 202: commandRecordSchema } } },
      async (req, reply) => {
        const device = deviceOf(req.params.id, req);
        try {
          return reply.code(202).send(deps.commands.issue(device, req.body, principal(req).user));
        } catch (err) {
          if (!(err instanceof CommandRefused)) throw err;
          if (err.kind === 'queue_full') throw new ApiError('GW_RATE_LIMITED', err.message);
          if (err.kind === 'bad_command') throw new ApiError('GW_BAD_REQUEST', err.message);
          throw new ApiError('GW_CONFLICT', err.message);
        }
      },
    );

    app.get(
      '/api/devices/:id/commands',
      {
        config: { role: 'operator' },
        schema: {
          params,
          querystring: z.object({ limit: limitParam(500, 50), before: timeParam.optional() }).strict(),
          response: { 200: z.object({ commands: z.array(commandRecordSchema), nextBefore: z.number().nullable() }) },
        },
      },
      async (req) => {
        const device = deviceOf(req.params.id, req);
        const limit = pageLimit(req, req.query.limit, deps.maxPage);
        const commands = deps.commands.ofDevice(device.device, limit, req.query.before);
        return { commands, nextBefore: commands.length === limit ? commands.at(-1)!.issuedAt : null };
      },
    );

    app.get(
      '/api/commands/:id',
      { config: { role: 'operator' }, schema: { params: z.object({ id: commandIdSchema }), response: { 200: commandRecordSchema } } },
      async (req) => {
        const c = deps.commands.get(req.params.id);
        if (!c || !canSee(principal(req), c.site)) throw new ApiError('GW_NOT_FOUND', `no command ${req.params.id}`);
        return c;
      },
    );
  };
