import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../device-sim/src/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1.5s', 1500],
    ['30', 30_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('keeps a minus sign only when asked to', () => {
    expect(parseDuration('-10m', true)).toBe(-600_000);
    expect(parseDuration('-10m')).toBeNull();
  });

  it.each(['', 'soon', '5 minutes', '10x', 'm5'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe('formatDuration', () => {
  it('uses the largest whole unit', () => {
    expect(formatDuration(7_200_000)).toBe('2h');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(250)).toBe('250ms');
  });
});
