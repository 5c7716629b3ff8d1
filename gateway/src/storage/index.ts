// Storage: the embedded state database and InfluxDB (writer, queries, private influxd).
export { openStateDb, kvGet, kvSet, kvSetUtf8, type StateDb } from './state-db.js';
export * from './influx/index.js';
export * from './outbox/index.js';
