// The pipeline: one path for every device message, whatever brought it in.
//
//   source -> accept() -> decode -> liveness + outbox write -> rule engine -> event store
//          -> transition sinks in order (history, SSE, MQTT supervision/events, webhooks)
//
// `accept(source, device, message)` returns a promise that resolves when what the message
// produced is durable in the outbox: that is when a source may acknowledge (MQTT PUBACK,
// HJ 212 9014, HTTP 2xx). At the outbox cap an at-least-once message (`qos: 1`) waits for
// room, an at-most-once one (`qos: 0`) is refused with `outbox_full`; nothing is dropped
// silently. Bad input resolves `{ ok: false, reason, detail }`, counted in
// gateway_messages_rejected_total{reason} and logged (rate-limited per device).
// The promise rejects only when the outbox write itself failed: do not acknowledge then.
//
// How a new source plugs in (HJ 212 over TCP, HTTP push, ...):
//   1. Authenticate the device yourself and look it up in the registry: `device` is a
//      RegisteredDevice, and the pipeline trusts it (it never re-checks credentials).
//   2. Decode your wire format into a `Decoded` (readings with `site`/`device`/`sector`/
//      `kind` from the registered device, `receivedAt` = the gateway clock) or a `Rejection`,
//      and call `pipeline.accept('hj212', device, { decoded, qos: 1 })`. A source that
//      speaks the MQTT JSON payloads may pass `{ topic, payload, qos }` instead.
//   3. Acknowledge when the promise resolves with `ok: true`; answer with the reason when it
//      resolves `ok: false`; do not acknowledge when it rejects.
//   4. A source with connections reports them with `pipeline.connection(device, online)`
//      (offline rules and device_status); the gateway passes `pipeline` to sources in app.ts.
export { createPipeline, type Pipeline, type PipelineOptions, type PipelineStore, type IngestMessage, type AcceptResult, type Ignored } from './pipeline.js';
export { type TransitionSink } from './sinks.js';
export { historySink, sseSink, mqttEventSink, webhookSink, listenerSink } from './fanout-sinks.js';
export { createEventActions } from './actions.js';
export { mqttSource } from './mqtt-source.js';
export { BACKLOG_KEY, backlogTransition } from './backlog-rule.js';
