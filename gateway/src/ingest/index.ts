// Ingest: decoding raw messages into plain Readings, Detections and DeviceStatus values, or a
// rejection with a precise reason. The contract it decodes (topics, channels, payload schemas)
// is protocol/'s.
export { jsonDepthExceeds } from './json-depth.js';
export { decodeMessage, decodeJson, defaultIngestLimits, type Decoded, type IngestLimits, type Rejection, type RejectReason } from './decode.js';
export { eventTime, defaultTimePolicy, type EventTime, type TimePolicy } from './event-time.js';
