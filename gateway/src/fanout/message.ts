import { severityRank, type Severity } from '../domain/index.js';
import type { AppliedTransition } from '../events/index.js';

/** The JSON every subscriber receives for one transition: SSE data, MQTT payload, webhook body. */
export function transitionMessage({ event, transition }: AppliedTransition) {
  return {
    seq: transition.seq,
    type: transition.type,
    at: new Date(transition.at).toISOString(),
    /** The gateway clock when it was recorded; later than `at` when decided from late data. */
    detectedAt: new Date(transition.detectedAt).toISOString(),
    actor: transition.actor,
    note: transition.note,
    severity: transition.severity,
    value: transition.value,
    disposition: transition.disposition,
    event: {
      id: event.id,
      rule: event.rule,
      ruleVersion: event.ruleVersion,
      item: event.item,
      title: event.title,
      site: event.site,
      device: event.device,
      sector: event.sector,
      metric: event.metric,
      camera: event.camera,
      detectionType: event.detectionType,
      severity: event.severity,
      state: event.state,
      value: event.value,
      threshold: event.threshold,
      message: event.message,
      raisedAt: new Date(event.raisedAt).toISOString(),
      detectedAt: new Date(event.detectedAt).toISOString(),
      late: event.late,
    },
  };
}
export type TransitionMessage = ReturnType<typeof transitionMessage>;

export interface SubscriberFilter {
  sites?: readonly string[] | null;
  items?: readonly string[] | null;
  severity?: Severity;
  minSeverity?: Severity;
  /** A further test of the subscriber's scope (department users: the event's current department). */
  accept?: (a: AppliedTransition) => boolean;
}

export function matches(f: SubscriberFilter, a: AppliedTransition): boolean {
  const sev = a.event.severity;
  if (f.sites && !f.sites.includes(a.event.site)) return false;
  if (f.items && !f.items.includes(a.event.item)) return false;
  if (f.severity && sev !== f.severity) return false;
  if (f.minSeverity && severityRank(sev) < severityRank(f.minSeverity)) return false;
  if (f.accept && !f.accept(a)) return false;
  return true;
}
