// Rules: the rule language (zod schema), the loader for rules/*.yaml and the catalogue,
// the compiled index, the pure engine and the replay of recorded streams.
export { parseDuration, formatDuration, durationSchema } from './duration.js';
export {
  ruleSchema,
  ruleFileSchema,
  comparisonSchema,
  levelSchema,
  RULE_KINDS,
  AGGREGATES,
  type Rule,
  type RuleInput,
  type RuleKind,
  type ThresholdRule,
  type RateRule,
  type WindowRule,
  type FlatlineRule,
  type OfflineRule,
  type DetectionRule,
  type LevelRule,
  type Comparison,
  type Level,
  type Aggregate,
} from './schema.js';
export { catalogueSchema, catalogueItemSchema, type Catalogue, type CatalogueItem } from './catalogue.js';
export { canonicalJson, ruleVersion } from './version.js';
export {
  loadRuleSet,
  parseRuleSet,
  formatProblem,
  RuleSetError,
  CATALOGUE_FILE,
  type RuleSet,
  type LoadedRule,
  type RuleProblem,
  type RuleSource,
} from './loader.js';
export { compileRuleSet, paramsFor, type CompiledRules, type CompiledRule, type CompiledLevelRule } from './compile.js';
export type { EngineInput, RuleTransition, EvidenceItem } from './types.js';
export { createEngineState, rebase, type EngineState, type RulePhase, type RuleKeyState, type OfflinePhase, type DetectionPhase } from './state.js';
export { serializeState, serializeStateUtf8, restoreState, StateSnapshotError } from './snapshot.js';
export { step, stepAll, nextDue, inputsFor } from './engine.js';
export { replay, replayDetailed, replayLineSchema, type ReplayLine, type ReplayOptions, type ReplayResult, type ReplaySkip } from './replay.js';
export { MAX_EVIDENCE } from './detection.js';
export { advanceClock } from './replay.js';
export { createReplayRun, diffBacktest, type RecordedMessage, type PastEvent, type DiffInput } from './backtest.js';
export { backtestResultSchema, simEventSchema, type BacktestResult, type BacktestCounts, type SimEvent } from './backtest-schema.js';
