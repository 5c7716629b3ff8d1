import { METRICS } from '../domain/index.js';
import { formatDuration } from './duration.js';

/** Numbers as people read them: at most three decimals, no float noise. */
export function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return String(Math.round(n * 1000) / 1000);
}

export function unitOf(metric: string): string {
  const info = METRICS[metric];
  return info ? ` ${info.unit}` : '';
}

export function where(site: string, device: string): string {
  return `${site}/${device}`;
}

export function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

export { formatDuration };
