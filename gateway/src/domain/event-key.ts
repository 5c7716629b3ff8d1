import type { DetectionType } from './vocabulary.js';

/**
 * Which event a transition belongs to: at most one unresolved event exists per key. Stored
 * and sent as a string (`rule|site|device`, `rule|site|device|camera|type`); build and read
 * it only through `encodeEventKey` / `decodeEventKey`.
 */
export type EventKey =
  /** Telemetry, offline and system rules: one event per rule and device. */
  | { rule: string; site: string; device: string }
  /** Detection rules: one event per rule, camera and detection type. */
  | { rule: string; site: string; device: string; camera: string; type: DetectionType };

export function encodeEventKey(k: EventKey): string {
  return 'camera' in k ? `${k.rule}|${k.site}|${k.device}|${k.camera}|${k.type}` : `${k.rule}|${k.site}|${k.device}`;
}

/** The parts of a key of the two engine shapes; null for any other (keys of other modules). */
export function decodeEventKey(key: string): EventKey | null {
  const parts = key.split('|');
  if (parts.some((p) => p === '')) return null;
  if (parts.length === 3) return { rule: parts[0]!, site: parts[1]!, device: parts[2]! };
  if (parts.length === 5) return { rule: parts[0]!, site: parts[1]!, device: parts[2]!, camera: parts[3]!, type: parts[4] as DetectionType };
  return null;
}
