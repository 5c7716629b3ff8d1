import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { computeQuality, QUALITY_DEFAULTS, qualityQuerySchema, qualityReportSchema, TooManyEventsError, type QualityEvent, type QualityEventFilter } from '../../quality/index.js';
import { principal, requireSite, visibleSites } from '../auth.js';
import type { RulesView } from '../deps.js';
import { ApiError } from '../errors.js';

// GET /api/alarm-quality: alarm-quality figures of a period over the events store, in the
// caller's site scope, worst groups first, with the ISA-18.2 / EEMUA 191 targets beside them.
/** What the routes of the alarm-quality figures read. */
export interface AlarmQualityRouteDeps {
  clock: () => number;
  /** The events of a period for alarm-quality figures. */
  qualityEvents?: (f: QualityEventFilter) => QualityEvent[];
  rules: RulesView;
}

export const alarmQualityRoutes = (deps: AlarmQualityRouteDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/api/alarm-quality',
    { config: { role: 'viewer' }, schema: { querystring: qualityQuerySchema, response: { 200: qualityReportSchema } } },
    async (req) => {
      const source = deps.qualityEvents;
      if (!source) throw new ApiError('GW_NOT_FOUND', 'alarm-quality figures are not available in this gateway');
      const q = req.query;
      const p = principal(req);
      const to = q.to ?? deps.clock();
      const from = q.from ?? to - QUALITY_DEFAULTS.periodMs;
      if (!(to > from)) throw new ApiError('GW_BAD_REQUEST', 'querystring.to: must be after from');
      let sites = visibleSites(p) ?? undefined;
      if (q.site !== undefined) {
        requireSite(p, q.site);
        sites = [q.site];
      }
      try {
        const events = source({ from, to, sites });
        return computeQuality(
          events,
          {
            from,
            to,
            groupBy: q.groupBy,
            chatterCount: q.chatterCount,
            chatterWindowMs: q.chatterWindow,
            standingAfterMs: q.standingAfter,
            floodAbove: q.floodAbove,
            utcOffsetMinutes: q.utcOffset,
            departmentOf: (item) => deps.rules.item(item)?.department ?? null,
          },
          q.limit,
        );
      } catch (err) {
        if (err instanceof TooManyEventsError) throw new ApiError('GW_BAD_REQUEST', err.message);
        throw err;
      }
    },
  );
};
