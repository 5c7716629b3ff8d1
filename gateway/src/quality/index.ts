// Alarm quality: ISA-18.2 / EEMUA 191 style figures per rule, catalogue item, site,
// department and day, computed from the events store, with the standards' targets beside them.
export * from './schema.js';
export { TARGETS, benchmarksFor } from './benchmarks.js';
export { computeQuality, chattering, percentile, localDay } from './figures.js';
export { readQualityEvents, TooManyEventsError, type QualityEventFilter } from './source.js';
