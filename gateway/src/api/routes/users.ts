import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ALL_SITES, newUserSchema, userSchema, UserError, type UserStore } from '../../users/index.js';
import { principal } from '../auth.js';
import type { Registry } from '../../registry/index.js';
import type { RulesView } from '../deps.js';
import { ApiError } from '../errors.js';

/** What the routes of users and tokens read. */
export interface UserRouteDeps {
  users: UserStore;
  registry: () => Registry;
  rules: RulesView;
  clock: () => number;
}

export const userRoutes = (deps: UserRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/users', { config: { role: 'admin' }, schema: { response: { 200: z.object({ users: z.array(userSchema) }) } } }, async () => ({ users: deps.users.list() }));

  app.post(
    '/api/users',
    { config: { role: 'admin' }, schema: { body: newUserSchema, response: { 201: z.object({ user: userSchema, token: z.string() }) } } },
    async (req, reply) => {
      for (const s of req.body.sites ?? []) if (s !== ALL_SITES && !deps.registry().site(s)) throw new ApiError('GW_BAD_REQUEST', `body.sites: no site ${s}`);
      for (const s of req.body.conflicts ?? []) if (!deps.registry().site(s)) throw new ApiError('GW_BAD_REQUEST', `body.conflicts: no site ${s}`);
      // A rule id is an audit actor (the raise), and the broker takes a device id as a device
      // login: a user of either name would be mistaken for it.
      if (deps.rules.list().some((r) => r.id === req.body.name)) throw new ApiError('GW_CONFLICT', `${req.body.name} is the id of a rule`);
      if (deps.registry().device(req.body.name)) throw new ApiError('GW_CONFLICT', `${req.body.name} is the id of a device`);
      try {
        // The token is shown in this answer only; the database keeps its hash.
        return reply.code(201).send(deps.users.create(req.body, principal(req).user, deps.clock()));
      } catch (err) {
        if (err instanceof UserError) throw new ApiError('GW_CONFLICT', err.message);
        throw err;
      }
    },
  );

  app.delete('/api/users/:id', { config: { role: 'admin' }, schema: { params: z.object({ id: z.string().regex(/^usr-[0-9a-f]{12}$/, 'is not a user id') }), response: { 200: userSchema } } }, async (req) => {
    try {
      return deps.users.disable(req.params.id, deps.clock());
    } catch (err) {
      if (err instanceof UserError) throw new ApiError('GW_NOT_FOUND', err.message);
      throw err;
    }
  });

  app.get('/api/me', { config: { role: 'viewer' }, schema: { response: { 200: z.object({ user: z.string(), role: z.string(), sites: z.array(z.string()).nullable(), departments: z.array(z.string()).nullable() }) } } }, async (req) => {
    const p = principal(req);
    return { user: p.user, role: p.role, sites: p.sites ? [...p.sites] : null, departments: p.departments ? [...p.departments] : null };
  });
};
