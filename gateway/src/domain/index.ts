// The shared vocabulary of the gateway: sectors, severities, identifiers and the plain
// values that flow from ingest to rules to events. Every other domain imports from here.
export * from './vocabulary.js';
export * from './reading.js';
export * from './metrics.js';
export * from './profile.js';
export * from './event-key.js';
export * from './time-zone.js';
