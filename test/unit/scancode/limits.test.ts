import { describe, expect, it } from 'vitest';
import { normaliseSpoken, randomBase32, spokenCode, windowLimiter } from '../../../gateway/src/scancode/index.js';

describe('the complaint rate limiter', () => {
  it('allows the limit per key in a window and refuses the next', () => {
    let now = 0;
    const l = windowLimiter(2, 60_000, () => now);
    expect([l.take('a'), l.take('a'), l.take('a'), l.take('b')]).toEqual([true, true, false, true]);
    now = 60_000;
    expect(l.take('a')).toBe(true);
  });

  it('never tracks more keys than its bound, refusing new ones until the window turns', () => {
    let now = 0;
    const l = windowLimiter(5, 60_000, () => now, 100);
    for (let i = 0; i < 10_000; i++) l.take(`addr-${i}`);
    expect(l.size()).toBe(100);
    expect(l.take('newcomer')).toBe(false);
    expect(l.take('addr-1')).toBe(true);
    now = 60_000;
    expect(l.size()).toBe(0);
    expect(l.take('newcomer')).toBe(true);
  });

  it('says how long until the window turns', () => {
    const l = windowLimiter(1, 3_600_000, () => 3_000_000);
    expect(l.retryAfter()).toBe(600);
  });
});

describe('codes', () => {
  it('carry 160 bits in 32 base32 characters, all different', () => {
    const codes = new Set(Array.from({ length: 1000 }, () => randomBase32(20)));
    expect(codes.size).toBe(1000);
    for (const c of codes) expect(c).toMatch(/^[a-z2-7]{32}$/);
  });

  it('read out loud avoid characters people confuse, and are compared without case or spaces', () => {
    for (let i = 0; i < 200; i++) expect(spokenCode()).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
    expect(normaliseSpoken(' ab-cd ef23 ')).toBe('ABCDEF23');
  });
});
