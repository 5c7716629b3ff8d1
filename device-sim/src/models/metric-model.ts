import type { Rng } from '../prng.js';

/**
 * One telemetry metric of a sector model. `min`..`max` is the normal operating envelope:
 * normal readings are clamped to it, so they never reach the metric's alarm levels.
 */
export interface MetricSpec {
  /** A key of METRICS (gateway/src/domain/metrics.ts). */
  name: string;
  /** Typical level. */
  base: number;
  min: number;
  max: number;
  /** Per-device offset of the base (installation and process differences), standard deviation. */
  spread: number;
  /** Random-walk step, in metric units per square root of a second. */
  walk: number;
  /** Mean reversion of the walk, per second (0 = free walk). */
  revert: number;
  /** Daily cycle: amplitude and the local hour (UTC+8) of the peak. */
  daily?: { amp: number; peakHour: number };
  /** Sensor noise per reading, standard deviation. */
  noise: number;
  decimals: number;
  /** A usual alarm level for the metric (scenario defaults: flap level). */
  alarm: number;
  /** A value well past the alarm level (scenario defaults: leak and spike target). */
  excursion: number;
}

export interface SensorModel {
  /** The metric scenarios act on when none is named. */
  primary: string;
  metrics: readonly MetricSpec[];
  /** Keeps physically linked metrics consistent (e.g. PM2.5 never above PM10). */
  derive?: (values: Record<string, number>) => void;
}

export interface SensorState {
  /** Values at `elapsedSec` since the start, `hour` the local hour of day (fractional). */
  read(elapsedSec: number, hour: number): Record<string, number>;
}

export function clamp(v: number, min: number, max: number): number {
  return v < min ? min : v > max ? max : v;
}

export function roundTo(v: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(v * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** Random walk with mean reversion, plus a daily cycle and sensor noise, clamped to the envelope. */
export function createSensorState(model: SensorModel, rng: Rng): SensorState {
  const walks = model.metrics.map((m) => ({
    spec: m,
    bias: clamp(rng.normal() * m.spread, (m.min - m.base) / 2, (m.max - m.base) / 2),
    offset: 0,
  }));
  let last: number | undefined;
  return {
    read(elapsedSec, hour) {
      const dt = last === undefined ? 0 : Math.max(0, elapsedSec - last);
      last = elapsedSec;
      const values: Record<string, number> = {};
      for (const w of walks) {
        const m = w.spec;
        // Same number of draws on every call, so sequences stay aligned across devices.
        const step = rng.normal();
        const noise = rng.normal();
        w.offset = w.offset * Math.exp(-m.revert * dt) + m.walk * Math.sqrt(dt) * step;
        // Keep the walk inside the envelope so it cannot stick to a bound for long.
        w.offset = clamp(w.offset, m.min - m.base - w.bias, m.max - m.base - w.bias);
        const cycle = m.daily ? m.daily.amp * Math.cos((2 * Math.PI * (hour - m.daily.peakHour)) / 24) : 0;
        values[m.name] = clamp(m.base + w.bias + w.offset + cycle + m.noise * noise, m.min, m.max);
      }
      model.derive?.(values);
      return values;
    },
  };
}
