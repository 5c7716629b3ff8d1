import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../gateway/src/rules/index.js';

describe('durations', () => {
  it('parses every unit of the rule language', () => {
    expect(['500ms', '10s', '5m', '1h', '1d'].map(parseDuration)).toEqual([500, 10_000, 300_000, 3_600_000, 86_400_000]);
  });

  it('parses a decimal amount', () => {
    expect(parseDuration('1.5s')).toBe(1500);
  });

  it('refuses a duration without a unit or with an unknown one', () => {
    expect([parseDuration('10'), parseDuration('10 minutes'), parseDuration('1w'), parseDuration('-1s')]).toEqual([null, null, null, null]);
  });

  it('formats a duration in its largest exact unit', () => {
    expect([formatDuration(300_000), formatDuration(90_000), formatDuration(1500), formatDuration(0)]).toEqual(['5m', '90s', '1500ms', '0s']);
  });
});
