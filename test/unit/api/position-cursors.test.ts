import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPositionCursors } from '../../../gateway/src/api/cursor.js';

const viewer = { user: 'north', sites: ['mine-007', 'hb-chem-001'], departments: null };
const code = (f: () => unknown) => {
  try {
    f();
    return 'opened';
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe('sealed audit positions', () => {
  const cursors = createPositionCursors(randomBytes(32));

  it('opens a sealed position for the caller and purpose it was sealed for', () => {
    for (const seq of [0, 1, 17, 2 ** 40, Number.MAX_SAFE_INTEGER]) expect(cursors.open('audit', viewer, cursors.seal('audit', viewer, seq))).toBe(seq);
  });

  it('does not depend on the order the scope lists its sites in', () => {
    const sealed = cursors.seal('stream', viewer, 42);
    expect(cursors.open('stream', { ...viewer, sites: [...viewer.sites].reverse() }, sealed)).toBe(42);
  });

  it('refuses a position sealed for another user, other sites, other departments or the other purpose', () => {
    const sealed = cursors.seal('audit', viewer, 42);
    expect(code(() => cursors.open('audit', { ...viewer, user: 'south' }, sealed))).toBe('GW_BAD_CURSOR');
    expect(code(() => cursors.open('audit', { ...viewer, sites: ['mine-007'] }, sealed))).toBe('GW_BAD_CURSOR');
    expect(code(() => cursors.open('audit', { ...viewer, departments: ['EMB'] }, sealed))).toBe('GW_BAD_CURSOR');
    expect(code(() => cursors.open('stream', viewer, sealed))).toBe('GW_BAD_CURSOR');
  });

  it('refuses every one-character change of a sealed position, the last character\'s spare bits too', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let seq = 0; seq < 20; seq++) {
      const sealed = cursors.seal('audit', viewer, seq);
      for (let i = 0; i < sealed.length; i++) {
        for (const c of alphabet) {
          if (c === sealed[i]) continue;
          const changed = sealed.slice(0, i) + c + sealed.slice(i + 1);
          expect(code(() => cursors.open('audit', viewer, changed))).toBe('GW_BAD_CURSOR');
        }
      }
    }
  });

  it('refuses numbers, empty strings and cursors of the wrong length', () => {
    for (const bad of ['', '42', 'A'.repeat(21), 'A'.repeat(23), '!'.repeat(22)]) expect(code(() => cursors.open('audit', viewer, bad))).toBe('GW_BAD_CURSOR');
  });

  it('gives nothing away between gateways: another key does not open it', () => {
    const other = createPositionCursors(randomBytes(32));
    expect(code(() => other.open('audit', viewer, cursors.seal('audit', viewer, 42)))).toBe('GW_BAD_CURSOR');
  });

  it('seals neighbouring positions into unrelated-looking cursors of the same length', () => {
    const a = cursors.seal('audit', viewer, 100);
    const b = cursors.seal('audit', viewer, 101);
    expect(a).toHaveLength(22);
    expect(b).toHaveLength(22);
    const same = [...Buffer.from(a, 'base64url')].filter((byte, i) => byte === Buffer.from(b, 'base64url')[i]).length;
    // Sixteen bytes of a block cipher's output: four or more equal by chance has p < 1e-6.
    expect(same).toBeLessThan(4);
  });
});
