import type { GatewayConfig } from '../config.js';
import type { Severity } from '../domain/index.js';
import type { EvidenceStore } from '../evidence/index.js';
import type { Pipeline } from '../pipeline/index.js';
import { createScanCode, referredRaise } from '../scancode/index.js';
import { createSupervisionHost } from '../supervision-host.js';
import type { GatewayState, ModuleLog } from './state.js';

/**
 * Profiles, inspections and risk (issue 16), and scan-code supervision on top of them
 * (issue 17: site codes, complaints as referred COMPLAINT events, confirmations). Their
 * events go through the pipeline's sinks.
 */
export function buildSupervision(
  config: GatewayConfig,
  s: Pick<GatewayState, 'db' | 'events' | 'users' | 'history' | 'rulesDir' | 'registry' | 'rules' | 'metrics'>,
  parts: { pipeline: Pipeline; evidence: EvidenceStore; overdueLimits: Partial<Record<Severity, number>>; clock: () => number; log: ModuleLog },
) {
  const { db, events, metrics } = s;
  const { pipeline, clock } = parts;
  const supervision = createSupervisionHost({
    ...{ db, audit: events.audit, events, users: s.users, history: s.history, clock, logger: parts.log('supervision'), rulesDir: s.rulesDir, overdueLimits: parts.overdueLimits },
    registry: s.registry.current,
    rules: () => s.rules.rules(),
    riskIntervalMs: config.GATEWAY_RISK_INTERVAL,
    publicPerMinute: config.GATEWAY_PUBLIC_PER_MINUTE,
    raise: (t) => pipeline.applySystem(t),
  });
  const scancode = createScanCode({
    ...{ db, audit: events.audit, clock, logger: parts.log('scancode'), pictures: parts.evidence },
    site: supervision.site,
    departments: supervision.api.departments,
    raise: referredRaise(db, events, pipeline.dispatch, clock),
    eventState: (id) => events.get(id)?.state,
    steps: supervision.inspections.steps,
    limits: { perAddressPerHour: config.GATEWAY_COMPLAINTS_PER_ADDRESS, perSitePerHour: config.GATEWAY_COMPLAINTS_PER_SITE },
    complaints: metrics.counter('gateway_complaints_total', 'Complaints through site codes, by outcome'),
    confirmations: metrics.counter('gateway_visit_confirmations_total', 'Enterprise confirmations of inspection visits, by outcome'),
  });
  return { supervision, scancode };
}
