import type { Metrics } from './metrics.js';

/** The broker's counters (BrokerCounters), named once here. */
export function brokerCounters(metrics: Metrics) {
  return {
    authFailures: metrics.counter('gateway_mqtt_auth_failures_total', 'Refused MQTT connections, by reason'),
    aclDenied: metrics.counter('gateway_mqtt_acl_denied_total', "Refused publishes and subscriptions outside a client's own topics"),
    protocolErrors: metrics.counter('gateway_mqtt_protocol_errors_total', 'Connections closed for breaking a limit or the protocol, by reason'),
    takeovers: metrics.counter('gateway_mqtt_session_takeovers_total', 'Connections that took over a session with the same client id'),
    retainIgnored: metrics.counter('gateway_mqtt_retain_ignored_total', 'Retain flags of device publishes and wills ignored, by source'),
    sessionQueueDropped: metrics.counter('gateway_mqtt_session_queue_dropped_total', 'Oldest messages dropped from a persistent session queue over its limit, by reason (messages | bytes)'),
  };
}

export interface GaugeSources {
  connectedClients(): number;
  influx(): { written: number; failed: number };
  outbox(): { points: number; bytes: number; oldestAt: number | null };
  webhooksPending(): number;
  sseClients(): number;
  clock: () => number;
}

/** The gauges read at each scrape. */
export function registerGauges(metrics: Metrics, s: GaugeSources): void {
  metrics.gauge('gateway_connected_clients', 'MQTT clients connected', () => s.connectedClients());
  metrics.gauge('gateway_influx_written_total', 'Points written to InfluxDB', () => s.influx().written);
  metrics.gauge('gateway_influx_failed_total', 'Points InfluxDB refused or that could not be sent', () => s.influx().failed);
  metrics.gauge('gateway_outbox_points', 'Points in the outbox not yet in InfluxDB', () => s.outbox().points);
  metrics.gauge('gateway_outbox_bytes', 'Bytes in the outbox not yet in InfluxDB', () => s.outbox().bytes);
  metrics.gauge('gateway_outbox_oldest_age_seconds', 'Age of the oldest point in the outbox', () => {
    const at = s.outbox().oldestAt;
    return at === null ? 0 : Math.max(0, (s.clock() - at) / 1000);
  });
  metrics.gauge('process_resident_memory_bytes', 'Resident set size of the gateway process', () => process.memoryUsage.rss());
  metrics.gauge('nodejs_heap_used_bytes', 'V8 heap in use', () => process.memoryUsage().heapUsed);
  metrics.gauge('gateway_webhook_deliveries_pending', 'Webhook deliveries waiting to be sent', () => s.webhooksPending());
  metrics.gauge('gateway_sse_clients', 'Server-Sent Events subscribers', () => s.sseClients());
}
