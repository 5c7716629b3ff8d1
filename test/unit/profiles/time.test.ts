import { describe, expect, it } from 'vitest';
import { parseTime } from '../../../gateway/src/profiles/index.js';

describe('vendor time fields', () => {
  it('reads epoch seconds with a fraction (Frigate start_time)', () => {
    expect(parseTime(1764620100.123456, 'epoch_s', 'Asia/Shanghai')).toBe(1764620100123);
  });

  it('reads epoch milliseconds sent as a string', () => {
    expect(parseTime('1764620100123', 'epoch_ms', 'Asia/Shanghai')).toBe(1764620100123);
  });

  it('reads ISO 8601 with an offset as that instant', () => {
    expect(parseTime('2026-12-01T20:15:00+08:00', 'iso8601', 'UTC')).toBe(Date.UTC(2026, 11, 1, 12, 15, 0));
  });

  it('reads ISO 8601 without an offset in the profile zone', () => {
    expect(parseTime('2026-12-01T20:15:00', 'iso8601', 'Asia/Shanghai')).toBe(Date.UTC(2026, 11, 1, 12, 15, 0));
  });

  it('reads YYYY-MM-DD HH:mm:ss as Beijing time by default', () => {
    expect(parseTime('2026-12-01 20:15:00', 'local', 'Asia/Shanghai')).toBe(Date.UTC(2026, 11, 1, 12, 15, 0));
  });

  it('reads a local time in another named zone, summer time included', () => {
    expect(parseTime('2026-07-01 12:00:00', 'local', 'Europe/Berlin')).toBe(Date.UTC(2026, 6, 1, 10, 0, 0));
    expect(parseTime('2026-01-01 12:00:00', 'local', 'Europe/Berlin')).toBe(Date.UTC(2026, 0, 1, 11, 0, 0));
  });

  it('says why a value is not a time of its format', () => {
    expect(parseTime('yesterday', 'local', 'Asia/Shanghai')).toMatch(/not YYYY-MM-DD HH:mm:ss/);
    expect(parseTime('2026-13-01 00:00:00', 'local', 'Asia/Shanghai')).toMatch(/not a valid date/);
    expect(parseTime('abc', 'epoch_s', 'Asia/Shanghai')).toMatch(/not an epoch/);
  });
});
