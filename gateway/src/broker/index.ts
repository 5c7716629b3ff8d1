// The embedded MQTT broker: listeners (TCP, TLS, WebSocket), device authentication, topic
// ACL and the limits that keep a hostile client from hurting the others.
export { createBroker, defaultBrokerLimits, ADDRESS_FAILURE_FACTOR, type Broker, type BrokerOptions, type BrokerCounters, type BrokerLimits, type TlsListenerOptions } from './broker.js';
export { createLoginBackoff } from './guards.js';
export { SessionStore, defaultSessionLimits, type SessionLimits } from './sessions.js';
