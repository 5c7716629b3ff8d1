import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RulesView } from '../deps.js';
import { errorBodySchema } from '../errors.js';

const problemsSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), problems: z.array(z.object({ file: z.string(), ruleId: z.string().optional(), reason: z.string() })) }),
});

/** What the routes of the rules in force read. */
export interface RuleRouteDeps {
  rules: RulesView;
  /** GATEWAY_RULES_APPROVAL=required: POST /api/rules/reload is refused (rules change through an approved backtest). */
  rulesApprovalRequired?: boolean;
}

export const ruleRoutes = (deps: RuleRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/api/rules',
    {
      config: { role: 'viewer' },
      schema: {
        response: {
          200: z.object({ rules: z.array(z.object({ id: z.string(), version: z.string(), item: z.string(), kind: z.string(), title: z.string(), titleZh: z.string().optional(), metrics: z.array(z.string()).optional(), sectors: z.array(z.string()).optional(), file: z.string().optional() })) }),
        },
      },
    },
    async () => ({ rules: deps.rules.list() }),
  );

  app.post(
    '/api/rules/reload',
    { config: { role: 'admin' }, schema: { response: { 200: z.object({ ok: z.literal(true), rules: z.number(), changed: z.number() }), 409: errorBodySchema, 422: problemsSchema } } },
    async (_req, reply) => {
      if (deps.rulesApprovalRequired) {
        return reply.code(409).send({ error: { code: 'GW_CONFLICT', message: 'GATEWAY_RULES_APPROVAL=required: rules change only through an approved backtest (POST /api/rules/backtests/:id/apply)' } });
      }
      const r = deps.rules.reload();
      if (r.ok) return r;
      // The old rule set stays in force; the answer lists every problem of the new one.
      return reply.code(422).send({ error: { code: 'GW_RULES_INVALID', message: `the rule set has ${r.problems.length} problem(s); the rules in force are unchanged`, problems: r.problems } });
    },
  );
};
