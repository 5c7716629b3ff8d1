import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from './observability/index.js';
import {
  compileRuleSet,
  createEngineState,
  loadRuleSet,
  rebase,
  restoreState,
  RuleSetError,
  serializeState,
  step,
  type CompiledRules,
  type EngineInput,
  type EngineState,
  type RuleProblem,
  type RuleTransition,
} from './rules/index.js';

export type ReloadResult = { ok: true; rules: number; changed: number } | { ok: false; problems: RuleProblem[] };

export type RuleHost = ReturnType<typeof createRuleHost>;

/**
 * Holds the rules in force and the engine state, and swaps rule sets atomically on reload:
 * a valid new set replaces the old one with the state of unchanged rules kept; an invalid
 * set is refused and the old one stays.
 */
export function createRuleHost(dir: string, logger: Logger, savedState?: string) {
  let rules: CompiledRules = compileRuleSet(loadRuleSet(dir));
  let state: EngineState = createEngineState();
  if (savedState) {
    try {
      state = restoreState(savedState, rules);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'saved engine state could not be restored; starting fresh');
    }
  }
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;

  return {
    rules: () => rules,
    step(input: EngineInput, now: number): RuleTransition[] {
      return step(rules, state, input, now);
    },
    snapshot: () => serializeState(state),
    reload(): ReloadResult {
      let next: CompiledRules;
      try {
        next = compileRuleSet(loadRuleSet(dir));
      } catch (err) {
        if (err instanceof RuleSetError) return { ok: false, problems: err.problems };
        return { ok: false, problems: [{ file: dir, reason: (err as Error).message }] };
      }
      const before = new Set(rules.rules.map((r) => `${r.id}@${r.version}`));
      const changed = next.rules.filter((r) => !before.has(`${r.id}@${r.version}`)).length;
      state = rebase(state, rules, next);
      rules = next;
      return { ok: true, rules: next.rules.length, changed };
    },
    /** Re-reads the directory when a file in it changes (debounced: editors write in bursts). */
    watch(onReload: (r: ReloadResult) => void) {
      try {
        watcher = watch(dir, () => {
          clearTimeout(debounce);
          debounce = setTimeout(() => onReload(this.reload()), 300);
        });
        watcher.on('error', (err) => logger.warn({ err: err.message }, 'rule directory watcher failed'));
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'cannot watch the rule directory; use POST /api/rules/reload');
      }
    },
    close() {
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}
