// Ingest: MQTT topic grammar and payload schemas, decoding raw messages into plain
// Readings, Detections and DeviceStatus values, or a rejection with a precise reason.
// The topic contract lives in protocol/ (the device-facing face); re-exported for ingest's callers.
export { parseTopic, topicFor, commandsFilter, type ParsedTopic, type Channel } from '../protocol/topics.js';
export { telemetryPayloadSchema, visionPayloadSchema, statusPayloadSchema, pictureSchema, DATA_FLAGS } from './payloads.js';
export { jsonDepthExceeds } from './json-depth.js';
export { decodeMessage, decodeJson, defaultIngestLimits, type Decoded, type IngestLimits, type Rejection, type RejectReason } from './decode.js';
export { eventTime, defaultTimePolicy, type EventTime, type TimePolicy } from './event-time.js';
