import type { Detection } from '../domain/index.js';

/** `frigate/{camera}/{label}/snapshot` against a topic suffix: the camera and label it names, or null. */
export function matchSnapshotTopic(pattern: string, suffix: string): { camera: string; label: string } | null {
  const want = pattern.split('/');
  const got = suffix.split('/');
  if (want.length !== got.length) return null;
  let camera = '';
  let label = '';
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '{camera}') camera = got[i]!;
    else if (want[i] === '{label}') label = got[i]!;
    else if (want[i] !== got[i]) return null;
  }
  return camera && label ? { camera, label } : null;
}

export type SnapshotTarget = { detection: Detection } | { none: 'snapshot_without_detection' | 'snapshot_already_kept' };

/**
 * Per device, camera and vendor label, the latest detection a linked route made, so a picture
 * published on its own topic after it (Frigate sends the object's JPEG on
 * `{camera}/{label}/snapshot`, with no event id) can be given to it. Bounded: the oldest
 * entries are forgotten first. One picture per detection: later, better snapshots of the same
 * object are not kept.
 */
export function createSnapshotLinks(max = 10_000) {
  const latest = new Map<string, { detection: Detection; at: number; pictured: boolean }>();
  const keyOf = (device: string, camera: string, label: string) => `${device}\u0000${camera}\u0000${label}`;
  return {
    made(device: string, camera: string, label: string, detection: Detection, at: number): void {
      const key = keyOf(device, camera, label);
      latest.delete(key);
      latest.set(key, { detection, at, pictured: detection.picture !== undefined });
      while (latest.size > max) latest.delete(latest.keys().next().value!);
    },
    /** The detection this picture belongs to (marked as pictured), or why there is none. */
    take(device: string, camera: string, label: string, now: number, withinMs: number): SnapshotTarget {
      const l = latest.get(keyOf(device, camera, label));
      if (!l || now - l.at > withinMs) return { none: 'snapshot_without_detection' };
      if (l.pictured) return { none: 'snapshot_already_kept' };
      l.pictured = true;
      return { detection: l.detection };
    },
    size: () => latest.size,
  };
}
