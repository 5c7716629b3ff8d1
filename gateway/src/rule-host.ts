import { ruleFacts, type RuleLevel, type RulesView } from './api/index.js';
import type { Logger } from './observability/index.js';
import {
  compileRuleSet,
  createEngineState,
  loadRuleSet,
  paramsFor,
  rebase,
  restoreState,
  RuleSetError,
  serializeState,
  serializeStateUtf8,
  step,
  type CompiledLevelRule,
  type CompiledRules,
  type EngineInput,
  type EngineState,
  type RuleProblem,
  type RuleTransition,
} from './rules/index.js';
import { watchFolder, type Component } from './runtime/index.js';

export type ReloadResult = { ok: true; rules: number; changed: number } | { ok: false; problems: RuleProblem[] };

export type RuleHost = ReturnType<typeof createRuleHost>;

const finite = (n: number) => (Number.isFinite(n) ? n : undefined);

/**
 * Holds the rules in force and the engine state, and swaps rule sets atomically on reload:
 * a valid new set replaces the old one with the state of unchanged rules kept; an invalid
 * set is refused and the old one stays.
 */
export function createRuleHost(dir: string, logger: Logger, savedState?: string) {
  let rules: CompiledRules = compileRuleSet(loadRuleSet(dir));
  let state: EngineState = createEngineState();
  // Changes to the engine state since the last snapshot taken for saving. Every input but a
  // tick changes it; a tick changes it only when it returns a transition (an offline raise, a
  // detection cleared), so an idle gateway has nothing new to save every 30 s (with 10,000
  // registered devices a save was a 1.4 MB string and ~4 MiB of young garbage each time).
  let changes = 0;
  if (savedState) {
    try {
      state = restoreState(savedState, rules);
    } catch (err) {
      logger.warn({ err }, 'saved engine state could not be restored; starting fresh');
    }
  }

  function reload(): ReloadResult {
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
    changes++;
    return { ok: true, rules: next.rules.length, changed };
  }

  /** Reloads and logs the outcome (the API's reload and the folder watcher). */
  function reloadLogged(): ReloadResult {
    const r = reload();
    if (r.ok) logger.info(r, 'rules reloaded');
    else logger.warn({ problems: r.problems }, 'rule reload refused; the rules in force are unchanged');
    return r;
  }

  /** The alarm levels in force for a device: the override the engine would pick (paramsFor). */
  function levels(ruleId: string, site: string, device: string): RuleLevel[] | undefined {
    const rule = rules.rules.find((r): r is CompiledLevelRule => r.id === ruleId && 'levels' in r.base);
    if (!rule) return undefined;
    const params = paramsFor(rule, site, device);
    return params.levels.map((l) => ({
      severity: l.severity,
      gt: finite(l.gt),
      gte: finite(l.gte),
      lt: finite(l.lt),
      lte: finite(l.lte),
      outside: l.hasOutside ? ([l.outsideLow, l.outsideHigh] as [number, number]) : undefined,
    }));
  }

  const view: RulesView = {
    list: () => rules.rules.map((r) => ({ id: r.id, version: r.version, item: r.item, kind: r.def.kind, title: r.title, file: r.def.file, ...ruleFacts(r.def) })),
    reload: reloadLogged,
    item: (code) => rules.items.get(code),
    levels,
  };

  return {
    rules: () => rules,
    step(input: EngineInput, now: number): RuleTransition[] {
      const out = step(rules, state, input, now);
      if (input.type !== 'tick' || out.length > 0) changes++;
      return out;
    },
    snapshot: () => serializeState(state),
    /**
     * Hands the state (`snapshot()`'s JSON, as UTF-8) to `write` when it changed since the last
     * write that succeeded (or since start: a restored state is what was saved). Returns whether it wrote.
     */
    saveIfChanged(write: (utf8: Buffer) => void): boolean {
      if (changes === 0) return false;
      write(serializeStateUtf8(state));
      // Only once written: a failed write (disk full) leaves the state due for the next save.
      changes = 0;
      return true;
    },
    reload,
    /** The rules as the API shows and reloads them. */
    view,
    /** Re-reads the directory when a file in it changes (debounced: editors write in bursts). */
    watcher(): Component {
      return watchFolder('rules-watcher', dir, { fallback: 'use POST /api/rules/reload' }, reloadLogged, logger);
    },
  };
}
