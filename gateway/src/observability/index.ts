// Observability: Prometheus metrics and the root logger.
export { createMetrics, type Metrics, type Counter } from './metrics.js';
export { createLogger, createRateLimitedLog, type Logger } from './logger.js';
export { brokerCounters, registerGauges, type GaugeSources } from './gateway-metrics.js';
