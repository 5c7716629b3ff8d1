import { encodeEventKey } from '../domain/index.js';
import type { Backlog } from '../storage/index.js';
import type { RuleTransition } from '../rules/index.js';

// The built-in system rule `system.storage_backlog`: raised when the outbox reaches its cap
// (new QoS 1 publishes then wait), resolved when it has room again. It is not in a rule
// file because it watches the gateway itself, but it emits an ordinary rule transition.

export const BACKLOG_KEY = encodeEventKey({ rule: 'system', site: 'gateway', device: 'outbox' });

/** The transition for the outbox turning full (`raised`) or having room again (`resolved`). */
export function backlogTransition(full: boolean, backlog: Backlog, capBytes: number, now: number): RuleTransition {
  return {
    type: full ? 'raised' : 'resolved',
    key: BACKLOG_KEY,
    rule: 'system.storage_backlog',
    ruleVersion: 'builtin',
    item: 'SYSTEM',
    title: 'storage_backlog: the outbox reached its cap',
    site: 'gateway',
    device: 'outbox',
    sector: 'other',
    severity: 'critical',
    value: backlog.bytes,
    threshold: capBytes,
    at: now,
    message: full
      ? `storage_backlog: ${backlog.points} points (${backlog.bytes} bytes) wait for InfluxDB; new QoS 1 publishes are held until it answers`
      : `storage_backlog cleared: ${backlog.points} points wait`,
  };
}
