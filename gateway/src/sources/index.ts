// Device sources beyond the JSON contract over MQTT: HTTP push with device credentials
// (Basic or a client certificate). Sources authenticate and frame; the pipeline decides.
export { createDeviceAuth, basicCredentials, type DeviceAuth } from './device-auth.js';
export { httpIngestRoutes, type HttpIngestOptions, type Outcome } from './http-ingest.js';
export { documentKind, type PushedBody } from './body.js';
export { createDeviceLoginBackoff, type DeviceLoginBackoff } from './login-backoff.js';
