// Wiring: small builders, one per domain group, that app.ts (the composition root) calls
// in order. They only construct and connect parts; behaviour lives in the domain folders.
export { buildState, type GatewayState, type ModuleLog } from './state.js';
export { ingestLimits, overdueLimits, tlsSettings, type TlsSettings } from './settings.js';
export { buildEvidence, buildProfiles, buildPipeline } from './ingest.js';
export { buildBroker, buildHj212, buildHttpIngest, brokerComponent, hj212Component, deviceLoginBackoff, type Broker, type Hj212, type Listening } from './sources.js';
export { buildHttpApi, buildBacktests } from './http.js';
export { buildSupervision } from './supervision.js';
