// The embedded MQTT broker: listeners, device authentication and the topic ACL.
export { createBroker, type Broker, type BrokerOptions, type BrokerCounters } from './broker.js';
