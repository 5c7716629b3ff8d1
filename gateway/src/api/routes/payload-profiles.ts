import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The payload profiles in force, and their reload (GET /api/payload-profiles, POST /api/payload-profiles/reload). */
export interface PayloadProfilesView {
  ids(): string[];
  reload(): { ok: true; profiles: string[] } | { ok: false; problems: Array<{ file: string; reason: string }> };
}

/** What the routes of payload profiles read. */
export interface PayloadProfileRouteDeps {
  /** Payload profiles in force, and their reload. */
  payloadProfiles?: PayloadProfilesView;
}

export const payloadProfileRoutes = (deps: PayloadProfileRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/api/payload-profiles', { config: { role: 'viewer' }, schema: { response: { 200: z.object({ profiles: z.array(z.string()) }) } } }, async () => ({ profiles: deps.payloadProfiles?.ids() ?? [] }));

  const problems = z.object({ error: z.object({ code: z.string(), message: z.string(), problems: z.array(z.object({ file: z.string(), reason: z.string() })) }) });
  app.post('/api/payload-profiles/reload', { config: { role: 'admin' }, schema: { response: { 200: z.object({ ok: z.literal(true), profiles: z.array(z.string()) }), 422: problems } } }, async (_req, reply) => {
    if (!deps.payloadProfiles) return { ok: true as const, profiles: [] };
    const r = deps.payloadProfiles.reload();
    if (r.ok) return r;
    // The profiles in force stay; the answer names each broken file and why.
    return reply.code(422).send({ error: { code: 'GW_PROFILES_INVALID', message: `the payload profiles have ${r.problems.length} problem(s); the profiles in force are unchanged`, problems: r.problems } });
  });
};
