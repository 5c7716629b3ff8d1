import type { RuleTransition } from '../rules/index.js';
import type { EvidenceStore } from './store.js';

export const EVIDENCE_CAP_KEY = 'system|gateway|evidence';

export interface CapWatchDeps {
  isOpen(key: string): boolean;
  apply(t: RuleTransition): void;
}

/**
 * Raises the `evidence_disk_full` system event when the evidence store cannot take another
 * picture of the largest size, and resolves it once retention has made room. Call it on the
 * gateway's 1 s tick.
 */
export function evidenceCapWatcher(store: EvidenceStore, deps: CapWatchDeps) {
  return (now: number): void => {
    const full = store.atCap();
    if (full === deps.isOpen(EVIDENCE_CAP_KEY)) return;
    const u = store.usage();
    deps.apply({
      type: full ? 'raised' : 'resolved',
      key: EVIDENCE_CAP_KEY,
      rule: 'system.evidence_disk_full',
      ruleVersion: 'builtin',
      item: 'SYSTEM',
      title: 'evidence_disk_full: 证据图片存储已达上限 (the evidence store reached its cap)',
      site: 'gateway',
      device: 'evidence',
      sector: 'other',
      severity: 'major',
      value: u.bytes,
      threshold: u.capBytes,
      at: now,
      message: full
        ? `evidence_disk_full: ${u.files} pictures, ${u.bytes} of ${u.capBytes} bytes; new pictures are refused (their detections are still accepted) until retention frees room or the cap is raised`
        : `evidence_disk_full cleared: ${u.bytes} of ${u.capBytes} bytes in use`,
    });
  };
}
