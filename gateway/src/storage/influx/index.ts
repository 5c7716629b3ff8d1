// InfluxDB storage: line protocol of the gateway's schema, the batched writer (1.x and
// 2.x), InfluxQL queries with bound parameters, version detection and a private influxd.
export {
  LINE_PRECISION,
  MEASUREMENT,
  escapeMeasurement,
  escapeName,
  quoteString,
  nanos,
  telemetryLine,
  telemetryLines,
  telemetryParts,
  joinTelemetry,
  type TelemetryParts,
  detectionLines,
  eventLine,
  type TelemetryReading,
  type DetectionInput,
  type EventLineInput,
} from './line-protocol.js';
export { statusLine, markMaintenance } from './schema-extra.js';
export { readingsQuery, type ReadingsQueryInput } from './readings-query.js';
export { createPointTimes, createTelemetryLines, type PointTimes } from './point-times.js';
export {
  createInfluxWriter,
  routeInfluxClientLog,
  v1WritePath,
  type DropReason,
  type InfluxWriter,
  type InfluxWriterConfig,
  type InfluxWriterStats,
  type FlushOutcome,
} from './writer.js';
export {
  createInfluxQuery,
  ensureDatabase,
  quoteIdent,
  seriesRows,
  type InfluxQuery,
  type InfluxSeries,
  type InfluxStatementResult,
  type QueryOptions,
  type QueryParams,
} from './query.js';
export { streamRecorded, type RecordedPoint, type RecordedTelemetry, type RecordedDetection, type RecordedStreamOptions } from './recorded.js';
export { detectInfluxApi, pingInflux, apiOfVersion, type InfluxPing } from './version.js';
export {
  startPrivateInfluxd,
  findInfluxd,
  INFLUXD_INSTALL_HINT,
  type PrivateInfluxd,
  type PrivateInfluxdOptions,
} from './influxd.js';
export { CREDENTIALS_FILE, type InfluxCredentials } from './private-auth.js';
export { ensureInfluxdInstalled, type InfluxdInstallOutcome, type InfluxdInstallOptions } from './install.js';
export { InfluxError, InfluxQueryError, InfluxdNotFound, type InfluxErrorCode } from './errors.js';
export { redactUrl, type InfluxApi, type InfluxConnection, type InfluxLogger } from './http.js';
