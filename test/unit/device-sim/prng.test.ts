import { describe, expect, it } from 'vitest';
import { createRng, hashSeed } from '../../../device-sim/src/prng.js';

const draw = (seed: string | number, n = 50): number[] => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('createRng', () => {
  it('repeats the same sequence for the same seed', () => {
    expect(draw('alpha')).toEqual(draw('alpha'));
  });

  it('gives a different sequence for a different seed', () => {
    expect(draw('alpha')).not.toEqual(draw('beta'));
  });

  it('treats a number seed like its decimal text', () => {
    expect(draw(42)).toEqual(draw('42'));
  });

  it('draws uniform numbers in [0, 1) with a mean near one half', () => {
    const xs = draw('uniform', 20_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 1);
  });

  it('draws normal numbers with mean 0 and standard deviation 1', () => {
    const rng = createRng('normal');
    const xs = Array.from({ length: 20_000 }, () => rng.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(0, 1);
    expect(sd).toBeCloseTo(1, 1);
  });

  it('draws integers below the bound', () => {
    const rng = createRng('int');
    const xs = Array.from({ length: 1000 }, () => rng.int(7));
    expect(new Set(xs)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
  });

  it('forks a stream that does not depend on how much the parent drew', () => {
    const a = createRng('parent');
    const b = createRng('parent');
    for (let i = 0; i < 10; i++) b.next();
    expect(a.fork('child').next()).toBe(b.fork('child').next());
  });

  it('hashes seeds to unsigned 32-bit integers', () => {
    const h = hashSeed('anything');
    expect(Number.isInteger(h)).toBe(true);
    expect(h).toBeGreaterThanOrEqual(0);
    expect(h).toBeLessThan(2 ** 32);
  });
});
