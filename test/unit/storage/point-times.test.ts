import { describe, expect, it } from 'vitest';
import { createPointTimes, createTelemetryLines, type TelemetryReading } from '../../../gateway/src/storage/influx/index.js';

const TS = 1_764_000_000_123;

function reading(value: number, extra: Partial<TelemetryReading> = {}): TelemetryReading {
  return { site: 'site-1', device: 'dtu-1', sector: 'pollution_source', metric: 'cod', value, ts: TS, skewed: false, valid: true, ...extra };
}

const stamp = (line: string) => line.split(' ').at(-1);

describe('telemetry point times', () => {
  it('gives the first message of a series in a millisecond offset 0', () => {
    const lines = createTelemetryLines();
    expect(stamp(lines([reading(1)]))).toBe('1764000000123000000');
  });

  it('keeps every arrival-timed message of one millisecond apart, even with equal values', () => {
    const lines = createTelemetryLines();
    const stamps = Array.from({ length: 200 }, () => stamp(lines([reading(5, { arrival: true })])));
    expect(new Set(stamps).size).toBe(200);
    expect(stamps.slice(0, 3)).toEqual(['1764000000123000000', '1764000000123000001', '1764000000123000002']);
  });

  it('keeps a repeated device time with a new value as a second point', () => {
    const lines = createTelemetryLines();
    expect([stamp(lines([reading(1)])), stamp(lines([reading(2)]))]).toEqual(['1764000000123000000', '1764000000123000001']);
  });

  it('writes a repeated identical device-timed message at the same time, so it stays one point', () => {
    const lines = createTelemetryLines();
    const first = lines([reading(1)]);
    lines([reading(2)]);
    expect(lines([reading(1)])).toBe(first);
    expect(stamp(lines([reading(2)]))).toBe('1764000000123000001');
  });

  it('takes a skewed message, whose time is its arrival, never for a repeat', () => {
    const lines = createTelemetryLines();
    expect([stamp(lines([reading(1, { skewed: true })])), stamp(lines([reading(1, { skewed: true })]))]).toEqual(['1764000000123000000', '1764000000123000001']);
  });

  it('counts offsets per series: another device in the same millisecond starts at 0', () => {
    const lines = createTelemetryLines();
    lines([reading(1)]);
    expect(stamp(lines([reading(1, { device: 'dtu-2' })]))).toBe('1764000000123000000');
  });

  it('gives a replay of the same stream through a fresh builder the same lines', () => {
    const stream = [reading(1), reading(2), reading(3, { arrival: true }), reading(4, { ts: TS + 1 }), reading(1), reading(5, { late: true, ts: TS - 1 })];
    const run = () => {
      const lines = createTelemetryLines();
      return stream.map((r) => lines([r]));
    };
    expect(run()).toEqual(run());
  });

  it('writes a later replay of a live message, now marked late, at the time of the original point', () => {
    const lines = createTelemetryLines();
    const live = lines([reading(1)]);
    expect(stamp(lines([reading(1, { late: true })]))).toBe(stamp(live));
  });

  it('remembers a bounded number of milliseconds per series and starts a forgotten one from 0 again', () => {
    const times = createPointTimes();
    expect(times.offset('s', 1, 'a')).toBe(0);
    expect(times.offset('s', 1, 'b')).toBe(1);
    for (let ms = 2; ms < 100; ms++) times.offset('s', ms, 'x');
    // Replayed in the original order, the forgotten millisecond gets the same offsets again.
    expect([times.offset('s', 1, 'a'), times.offset('s', 1, 'b')]).toEqual([0, 1]);
  });

  it('still separates messages beyond the remembered distinct ones of a millisecond', () => {
    const times = createPointTimes();
    const offsets = Array.from({ length: 1500 }, (_, i) => times.offset('s', 1, `v${i}`));
    expect(new Set(offsets).size).toBe(1500);
  });
});
