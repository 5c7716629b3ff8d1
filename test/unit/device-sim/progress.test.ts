import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, formatStats, type SimStats } from '../../../device-sim/src/progress.js';

const stats: SimStats = { sent: 120, acked: 118, errors: 1, reconnects: 2, connected: 5, rejectedConnects: 0, skipped: 3 };

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return { out, text: () => text };
}

describe('formatStats', () => {
  it('names every counter', () => {
    expect(formatStats(stats, 40)).toBe('sent 120 (40/s) acked 118 errors 1 reconnects 2 connected 5 refused 0 skipped 3');
  });
});

describe('createProgress', () => {
  it('prints plain lines with a newline when the output is not a terminal', async () => {
    const c = capture();
    const p = createProgress({ out: c.out, tty: false, everyMs: 20, stats: () => stats });
    p.start();
    await new Promise((r) => setTimeout(r, 70));
    p.stop('done');
    const lines = c.text().trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT.* sent 120 /);
    expect(lines.at(-1)).toMatch(/^done: sent 120 .* in \d+\.\ds$/);
  });

  it('rewrites one line in place on a terminal', async () => {
    const c = capture();
    const p = createProgress({ out: c.out, tty: true, everyMs: 10_000, stats: () => stats });
    p.start();
    await new Promise((r) => setTimeout(r, 300));
    p.stop('done');
    expect(c.text()).toMatch(/^\rsent 120 .*\x1b\[K/);
    expect(c.text().split('\n')).toHaveLength(2);
  });
});
