import type { EventState, TransitionType } from './schema.js';

// The event lifecycle (DOMAIN.md, ARCHITECTURE.md): one table of the transitions each state
// allows and the state each leads to. The store's transactions check requests against it;
// the history fold replays audit rows through it. `raised` creates an event in `open`.

/** `null`: allowed, but records nothing (acknowledging an acknowledged event). */
type Next = EventState | null;

export const LIFECYCLE: Readonly<Record<EventState, Partial<Record<TransitionType, Next>>>> = {
  open: { escalated: 'open', acknowledged: 'acknowledged', commented: 'open', overdue: 'open', resolved: 'resolved', referred: 'open' },
  acknowledged: { escalated: 'acknowledged', acknowledged: null, commented: 'acknowledged', resolved: 'resolved', referred: 'acknowledged' },
  resolved: { commented: 'resolved', closed: 'closed' },
  closed: { commented: 'closed' },
};

/** How a refused request reads: "event X is closed: it cannot be <this>". */
const REFUSAL: Partial<Record<TransitionType, string>> = {
  acknowledged: 'acknowledged',
  resolved: 'resolved',
  closed: 'closed (only a resolved event can be closed)',
  referred: 'referred',
};

/** The states in which an event is unresolved: the engine may still escalate or resolve it. */
export const UNRESOLVED: readonly EventState[] = ['open', 'acknowledged'];

export type LifecycleStep = { ok: true; next: Next } | { ok: false; refusal: string };

/** Whether `type` may happen to an event in `state`, and the state it leads to. */
export function lifecycleStep(state: EventState, type: TransitionType): LifecycleStep {
  const row = LIFECYCLE[state];
  if (type in row) return { ok: true, next: row[type]! };
  return { ok: false, refusal: REFUSAL[type] ?? type };
}

/**
 * The state after a recorded transition, for folding an event's audit rows. A row the table
 * would not allow (none is written, but old databases are read too) leaves the state as it was.
 */
export function stateAfter(state: EventState, type: TransitionType): EventState {
  if (type === 'raised') return 'open';
  const step = lifecycleStep(state, type);
  return step.ok && step.next !== null ? step.next : state;
}
