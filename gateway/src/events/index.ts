// Supervision events: lifecycle on the state database, the hash-chained audit trail,
// and the records handed to storage and fan-out.
export * from './schema.js';
export { LIFECYCLE, lifecycleStep, stateAfter, UNRESOLVED } from './lifecycle.js';
export { createEventStore, newEventId, toTransition, LifecycleError, type EventStore, type EventFilter, type AppliedTransition, type EventStoreOptions, type PictureTarget } from './store.js';
export { AUDIT_KINDS, createAuditLog, type AuditLog, type AuditRecord, type AuditEntry, type AuditFilter, type VerifyResult } from './audit.js';
export { createMaintenance, MAX_WINDOW_MS, WINDOW_TOO_LONG, maintenanceWindowSchema, newWindowSchema, windowChangeSchema, type Maintenance, type MaintenanceWindow, type NewWindow, type WindowChange } from './maintenance.js';
export { EVENT_ORDERS, type EventOrder, type EventQuery, type EventPageQuery, type EventSummary, type StateFilter } from './query.js';
