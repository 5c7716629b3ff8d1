import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { backtestResultSchema } from '../../rules/backtest-schema.js';
import { BacktestRefused, type BacktestService } from '../../rules/backtest-service.js';
import { principal } from '../auth.js';
import { ApiError } from '../errors.js';
import { timeParam } from '../query.js';

// Backtests of a rule change and the approval that lets it go live:
//   POST /api/rules/backtest               admin: start one (runs in a worker thread)
//   GET  /api/rules/backtests[/:id]        supervisor: progress, result
//   POST /api/rules/backtests/:id/approve  supervisor (not who ran it): recorded in the audit trail
//   POST /api/rules/backtests/:id/apply    admin: reload the rules if the directory is the approved candidate

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.ya?ml$/;
const startBody = z
  .object({
    from: z.union([z.number().int(), timeParam]),
    to: z.union([z.number().int(), timeParam]),
    /** Candidate files laid over a copy of the rule directory; absent: the directory as it is on disk. */
    files: z
      .record(z.string().regex(FILE_NAME, 'file names are like gas.yaml'), z.string().max(1024 * 1024))
      .refine((f) => Object.keys(f).length <= 200, 'at most 200 files')
      .optional(),
  })
  .strict();
const idParams = z.object({ id: z.string().regex(/^bt-[a-z0-9]+-[0-9a-f]{8}$/, 'not a backtest id') });

// The answers, as BacktestRecord (rules/backtest-service.ts) has them; the list leaves `result` null.
const candidate = z.enum(['rules directory', 'uploaded']);
const recordSchema = z.object({
  id: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  from: z.number(),
  to: z.number(),
  candidate,
  ranBy: z.string(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  progress: z.object({ at: z.number(), points: z.number() }).nullable(),
  candidateVersion: z.string().nullable(),
  result: backtestResultSchema.nullable(),
  warnings: z.array(z.string()),
  error: z.string().nullable(),
  problems: z.array(z.object({ file: z.string(), ruleId: z.string().optional(), reason: z.string() })).nullable(),
  approvedBy: z.string().nullable(),
  approvedAt: z.number().nullable(),
  approvalNote: z.string().nullable(),
  appliedBy: z.string().nullable(),
  appliedAt: z.number().nullable(),
});
const startedSchema = z.object({ id: z.string(), state: z.enum(['running', 'done', 'failed']), from: z.number(), to: z.number(), candidate });

function refused(err: unknown): never {
  if (!(err instanceof BacktestRefused)) throw err;
  const code = err.kind === 'not_found' ? 'GW_NOT_FOUND' : err.kind === 'forbidden' ? 'GW_FORBIDDEN' : 'GW_CONFLICT';
  throw new ApiError(code, err.message);
}

/** What the routes of backtests and rule-change approvals read. */
export interface BacktestRouteDeps {
  /** Backtests and approvals of rule changes; absent when history is off. */
  backtests?: BacktestService;
}

export const backtestRoutes = (deps: BacktestRouteDeps): FastifyPluginAsyncZod => async (app) => {
  const service = (): BacktestService => {
    if (!deps.backtests) throw new ApiError('GW_HISTORY_OFF', 'backtests need the time-series history (InfluxDB)');
    return deps.backtests;
  };

  app.post('/api/rules/backtest', { config: { role: 'admin' }, schema: { body: startBody, response: { 202: startedSchema } } }, async (req, reply) => {
    const { from, to, files } = req.body;
    if (!(to > from)) throw new ApiError('GW_BAD_REQUEST', 'body.to: must be after from');
    try {
      const r = service().start({ from, to, ...(files ? { files } : {}) }, principal(req).user);
      return reply.code(202).send({ id: r.id, state: r.state, from: r.from, to: r.to, candidate: r.candidate });
    } catch (err) {
      refused(err);
    }
  });

  app.get('/api/rules/backtests', { config: { role: 'supervisor' }, schema: { response: { 200: z.object({ backtests: z.array(recordSchema) }) } } }, async () => ({ backtests: service().list() }));

  app.get('/api/rules/backtests/:id', { config: { role: 'supervisor' }, schema: { params: idParams, response: { 200: recordSchema } } }, async (req) => {
    const r = service().get(req.params.id);
    if (!r) throw new ApiError('GW_NOT_FOUND', `no backtest ${req.params.id}`);
    return r;
  });

  app.post('/api/rules/backtests/:id/approve', { config: { role: 'supervisor' }, schema: { params: idParams, body: z.object({ note: z.string().max(2000).default('') }).strict(), response: { 200: recordSchema } } }, async (req) => {
    try {
      return service().approve(req.params.id, principal(req).user, req.body.note);
    } catch (err) {
      refused(err);
    }
  });

  app.post('/api/rules/backtests/:id/apply', { config: { role: 'admin' }, schema: { params: idParams, response: { 200: recordSchema.extend({ rules: z.number(), changed: z.number() }) } } }, async (req) => {
    try {
      return service().apply(req.params.id, principal(req).user);
    } catch (err) {
      refused(err);
    }
  });
};
