import { describe, expect, it } from 'vitest';
import { EVENT_STATES, lifecycleStep, stateAfter, TRANSITION_TYPES } from '../../../gateway/src/events/index.js';

describe('the event lifecycle table', () => {
  it('lets a person acknowledge only an open event, and records nothing for a second acknowledge', () => {
    expect(lifecycleStep('open', 'acknowledged')).toEqual({ ok: true, next: 'acknowledged' });
    expect(lifecycleStep('acknowledged', 'acknowledged')).toEqual({ ok: true, next: null });
    expect(lifecycleStep('resolved', 'acknowledged').ok).toBe(false);
  });

  it('closes only a resolved event, with the reason spelled for the refusal', () => {
    expect(lifecycleStep('resolved', 'closed')).toEqual({ ok: true, next: 'closed' });
    expect(lifecycleStep('open', 'closed')).toEqual({ ok: false, refusal: 'closed (only a resolved event can be closed)' });
  });

  it('allows a comment in every state without changing it', () => {
    for (const s of EVENT_STATES) expect(lifecycleStep(s, 'commented')).toEqual({ ok: true, next: s });
  });

  it('never leaves a closed event by any transition', () => {
    for (const t of TRANSITION_TYPES.filter((t) => t !== 'raised')) expect(stateAfter('closed', t)).toBe('closed');
  });

  it('folds open, acknowledged, resolved, closed in that order', () => {
    const seq = ['raised', 'escalated', 'acknowledged', 'overdue', 'resolved', 'commented', 'closed'] as const;
    const states = seq.reduce<string[]>((acc, t) => [...acc, stateAfter((acc.at(-1) ?? 'open') as never, t)], []);
    expect(states).toEqual(['open', 'open', 'acknowledged', 'acknowledged', 'resolved', 'resolved', 'closed']);
  });
});
