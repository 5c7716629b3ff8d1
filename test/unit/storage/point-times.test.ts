import { describe, expect, it } from 'vitest';
import { createPointTimes, createTelemetryLines, type TelemetryReading } from '../../../gateway/src/storage/influx/index.js';

const TS = 1_764_000_000_123;

function reading(value: number, extra: Partial<TelemetryReading> = {}): TelemetryReading {
  return { site: 'site-1', device: 'dtu-1', sector: 'pollution_source', metric: 'cod', value, ts: TS, skewed: false, valid: true, ...extra };
}

const stamp = (line: string) => line.split(' ').at(-1)!;
const ms = (line: string) => stamp(line).slice(0, -6);

describe('telemetry point times', () => {
  it('keeps every arrival-timed message of one millisecond apart, even with equal values, counting up from 0', () => {
    const lines = createTelemetryLines();
    const stamps = Array.from({ length: 200 }, () => stamp(lines([reading(5, { arrival: true })])));
    expect(new Set(stamps).size).toBe(200);
    expect(stamps.slice(0, 3)).toEqual(['1764000000123000000', '1764000000123000001', '1764000000123000002']);
  });

  it('keeps the time inside the millisecond of the reading', () => {
    const lines = createTelemetryLines();
    expect(ms(lines([reading(1)]))).toBe(String(TS));
  });

  it('keeps a repeated device time with a new value as a second point', () => {
    const lines = createTelemetryLines();
    expect(stamp(lines([reading(1)]))).not.toBe(stamp(lines([reading(2)])));
  });

  it('writes a repeated identical device-timed message at the same time, so it stays one point', () => {
    const lines = createTelemetryLines();
    const first = lines([reading(1)]);
    lines([reading(2)]);
    expect(lines([reading(1)])).toBe(first);
  });

  it('places a device-timed message the same way in a fresh gateway, whatever came before', () => {
    const a = createTelemetryLines();
    const b = createTelemetryLines();
    for (let i = 0; i < 50; i++) b([reading(i, { ts: TS + i })]);
    expect(a([reading(42.5)])).toBe(b([reading(42.5)]));
  });

  it('keeps a new value for a millisecond long forgotten apart from the point already there', () => {
    const lines = createTelemetryLines();
    const first = stamp(lines([reading(1)]));
    for (let i = 1; i < 100; i++) lines([reading(40, { ts: TS + i })]);
    expect(stamp(lines([reading(77.7)]))).not.toBe(first);
  });

  it('takes a skewed message, whose time is its arrival, never for a repeat', () => {
    const lines = createTelemetryLines();
    expect(stamp(lines([reading(1, { skewed: true })]))).not.toBe(stamp(lines([reading(1, { skewed: true })])));
  });

  it('counts offsets per series: another device in the same millisecond starts at 0', () => {
    const lines = createTelemetryLines();
    lines([reading(1, { arrival: true })]);
    expect(stamp(lines([reading(1, { device: 'dtu-2', arrival: true })]))).toBe('1764000000123000000');
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

  it('moves a different message that hashes to a taken offset to the next free one', () => {
    const times = createPointTimes();
    const arrival = times.offset('s', 1, null);
    expect(arrival).toBe(0);
    // Whatever its hash, a device-timed message never lands on an offset taken in a remembered millisecond.
    const placed = Array.from({ length: 500 }, (_, i) => times.offset('s', 1, `v${i}`));
    expect(new Set([arrival, ...placed]).size).toBe(501);
  });

  it('still separates arrival-timed messages beyond the remembered ones of a millisecond', () => {
    const times = createPointTimes();
    const offsets = Array.from({ length: 1500 }, () => times.offset('s', 1, null));
    expect(new Set(offsets).size).toBe(1500);
  });
});
