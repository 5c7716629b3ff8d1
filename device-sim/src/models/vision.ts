import type { DetectionType, Sector } from '../../../gateway/src/protocol/index.js';
import type { Rng } from '../prng.js';
import { clamp, roundTo } from './metric-model.js';

// DOMAIN.md 3: kitchen ("明厨亮灶") and work-safety detection types, with how often each
// shows up relative to the others (fire and flames are rare, missing PPE is common).
export const KITCHEN_DETECTIONS: readonly { type: DetectionType; weight: number }[] = [
  { type: 'no_chef_hat', weight: 4 },
  { type: 'no_mask', weight: 4 },
  { type: 'smoking', weight: 1 },
  { type: 'rat', weight: 0.5 },
  { type: 'flame_unattended', weight: 0.5 },
];
export const WORKSITE_DETECTIONS: readonly { type: DetectionType; weight: number }[] = [
  { type: 'no_helmet', weight: 4 },
  { type: 'no_vest', weight: 3 },
  { type: 'smoking', weight: 1 },
  { type: 'intrusion', weight: 1 },
  { type: 'smoke', weight: 0.3 },
  { type: 'fire', weight: 0.2 },
];

export function detectionTypesFor(sector: Sector): readonly { type: DetectionType; weight: number }[] {
  return sector === 'food_service' ? KITCHEN_DETECTIONS : WORKSITE_DETECTIONS;
}

export interface SimDetection {
  type: DetectionType;
  confidence: number;
  bbox: [number, number, number, number];
}

export interface Burst {
  type: DetectionType;
  confidence: number;
  count: number;
}

export interface VisionState {
  /** Detections in one analysed frame; `burst` forces detections of one type. */
  frame(hour: number, burst?: Burst): SimDetection[];
}

const FRAME_W = 1920;
const FRAME_H = 1080;

function box(rng: Rng, type: DetectionType): [number, number, number, number] {
  // Rats are small, people and smoke are large.
  const small = type === 'rat' || type === 'smoking' || type === 'flame_unattended';
  const w = Math.round(small ? rng.range(30, 140) : rng.range(90, 420));
  const h = Math.round(small ? rng.range(20, 110) : rng.range(160, 620));
  return [Math.round(rng.range(0, FRAME_W - w)), Math.round(rng.range(0, FRAME_H - h)), w, h];
}

function pickWeighted(rng: Rng, items: readonly { type: DetectionType; weight: number }[]): DetectionType {
  const total = items.reduce((s, i) => s + i.weight, 0);
  let u = rng.next() * total;
  for (const i of items) {
    u -= i.weight;
    if (u < 0) return i.type;
  }
  return items[items.length - 1]!.type;
}

/**
 * A camera's analytics: most frames are empty; a few hold a detection, more often during
 * working hours. In normal operation these are the low-confidence false positives of steam,
 * glare and shadows (DOMAIN.md 3): below the 0.6 that alarm rules commonly require, so a
 * normal run raises no events. Real violations come from the burst scenario.
 */
export function createVisionState(sector: Sector, rng: Rng): VisionState {
  const types = detectionTypesFor(sector);
  return {
    frame(hour, burst) {
      const busy = hour >= 7 && hour < 21;
      const hit = rng.next();
      const extra = rng.next();
      const out: SimDetection[] = [];
      if (hit < (busy ? 0.08 : 0.02)) {
        const n = extra < 0.15 ? 2 : 1;
        for (let i = 0; i < n; i++) {
          const type = pickWeighted(rng, types);
          const confidence = roundTo(rng.range(0.25, 0.58), 2);
          out.push({ type, confidence, bbox: box(rng, type) });
        }
      }
      if (burst) {
        for (let i = 0; i < burst.count; i++) {
          const confidence = roundTo(clamp(burst.confidence + rng.normal() * 0.03, 0.01, 0.99), 2);
          out.push({ type: burst.type, confidence, bbox: box(rng, burst.type) });
        }
      }
      return out;
    },
  };
}
