// The HTTP API: one file per resource under routes/, bearer auth, JSON errors with stable codes.
export { buildApi, type Api, type ApiDeps, type ServerDeps } from './build.js';
export { ApiError, ERRORS, type ErrorCode } from './errors.js';
export { createPositionCursors, type PositionCursors } from './cursor.js';
export { ruleFacts } from './deps.js';
export type { RuleFacts, EvidenceLookup, DeviceLiveState, ReadingsSource, ReadingsQuery, ReadingPoint, HealthReport, EventActions, RulesView, RegistryReload, ReadyReport, RuleLevel } from './deps.js';
export type { SupervisionApi } from './supervision-deps.js';
export type { ScanCodeApi } from './scancode-deps.js';
