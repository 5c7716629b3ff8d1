import { describe, expect, it } from 'vitest';
import { createRepeatMemory } from '../../../gateway/src/profiles/once.js';

// The post counter of an ongoing alarm (Hikvision activePostCount): what counts and what repeats.
const MIN = 60_000;

describe('the ongoing-alarm memory', () => {
  it('treats higher counts within the window as repeats of the alarm that started', () => {
    const m = createRepeatMemory();
    m.started('cam|intrusion', 1, 0);
    expect([m.continues('cam|intrusion', 2, 1_000, 5 * MIN), m.continues('cam|intrusion', 3, 2_000, 5 * MIN)]).toEqual([true, true]);
  });

  it('treats a re-sent post (the same count) as a repeat', () => {
    const m = createRepeatMemory();
    m.started('k', 2, 0);
    expect(m.continues('k', 2, 1_000, 5 * MIN)).toBe(true);
  });

  it('starts a new alarm at count 1 or at a count lower than the last one', () => {
    const m = createRepeatMemory();
    m.started('k', 5, 0);
    expect([m.continues('k', 1, 1_000, 5 * MIN), m.continues('k', 3, 1_000, 5 * MIN)]).toEqual([false, false]);
  });

  it('starts a new alarm after the window without posts, kept open by each repeat', () => {
    const m = createRepeatMemory();
    m.started('k', 1, 0);
    expect(m.continues('k', 2, 4 * MIN, 5 * MIN)).toBe(true);
    expect(m.continues('k', 3, 8 * MIN, 5 * MIN)).toBe(true);
    expect(m.continues('k', 4, 14 * MIN, 5 * MIN)).toBe(false);
  });

  it('counts a post of an alarm it never saw start', () => {
    expect(createRepeatMemory().continues('k', 7, 0, 5 * MIN)).toBe(false);
  });

  it('forgets the oldest alarms beyond its bound', () => {
    const m = createRepeatMemory(2);
    m.started('a', 1, 0);
    m.started('b', 1, 0);
    m.started('c', 1, 0);
    expect([m.continues('a', 2, 1, MIN), m.continues('c', 2, 1, MIN)]).toEqual([false, true]);
  });
});
