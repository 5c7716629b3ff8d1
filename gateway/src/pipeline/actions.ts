import type { EventActions } from '../api/index.js';
import type { AppliedTransition, EventStore } from '../events/index.js';
import type { Pipeline } from './pipeline.js';

/**
 * Lifecycle changes people make through the API: recorded in the event store, then fanned
 * out through the same sinks as rule transitions.
 */
export function createEventActions(events: EventStore, pipeline: Pick<Pipeline, 'dispatch' | 'release'>, clock: () => number): EventActions {
  const fanOut = (a: AppliedTransition | null) => (a && pipeline.dispatch(a), a);
  return {
    acknowledge: (id, by, note) => fanOut(events.acknowledge(id, by.user, note, clock())),
    comment: (id, by, note) => fanOut(events.comment(id, by.user, note, clock()))!,
    resolve: (id, by, note) => {
      const a = fanOut(events.resolve(id, by.user, note, clock()))!;
      // A person resolved it: the engine forgets it as open, so a new violation raises anew.
      pipeline.release(a.event.key, clock());
      return a;
    },
    close: (id, by, disposition, note) => fanOut(events.close(id, by.user, disposition, note, clock()))!,
    refer: (id, by, department, note) => fanOut(events.refer(id, by.user, department, note, clock()))!,
  };
}
