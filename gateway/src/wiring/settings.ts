import { readFileSync } from 'node:fs';
import type { GatewayConfig } from '../config.js';
import type { Severity } from '../domain/index.js';
import { defaultIngestLimits, type IngestLimits } from '../ingest/index.js';

// Settings several parts share, read once from the configuration.

/** What every source enforces on a message. */
export function ingestLimits(config: GatewayConfig): IngestLimits {
  return {
    ...defaultIngestLimits,
    maxClockSkewMs: config.GATEWAY_MAX_CLOCK_SKEW,
    maxBackfillMs: config.GATEWAY_MAX_BACKFILL,
    maxPayloadBytes: config.GATEWAY_MAX_PAYLOAD_BYTES,
    maxMetricsPerMessage: config.GATEWAY_MAX_METRICS,
    maxDetectionsPerMessage: config.GATEWAY_MAX_DETECTIONS,
    maxJsonDepth: config.GATEWAY_MAX_JSON_DEPTH,
    maxPictureBytes: config.GATEWAY_EVIDENCE_MAX_BYTES,
  };
}

/** How long an open event of each severity may wait for handling before it is overdue. */
export function overdueLimits(config: GatewayConfig): Partial<Record<Severity, number>> {
  return {
    critical: config.GATEWAY_OVERDUE_CRITICAL,
    major: config.GATEWAY_OVERDUE_MAJOR,
    warning: config.GATEWAY_OVERDUE_WARNING,
    info: config.GATEWAY_OVERDUE_INFO,
  };
}

export interface TlsSettings {
  /** The gateway's certificate and key, when configured (MQTTS, HJ 212 over TLS, HTTPS). */
  tls: { cert: Buffer; key: Buffer } | undefined;
  /** What the API serves HTTPS with: with a client CA, devices may push with a certificate; people need none. */
  apiHttps: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean; rejectUnauthorized?: boolean } | undefined;
}

export function tlsSettings(config: GatewayConfig): TlsSettings {
  const tls = config.GATEWAY_TLS_CERT && config.GATEWAY_TLS_KEY ? { cert: readFileSync(config.GATEWAY_TLS_CERT), key: readFileSync(config.GATEWAY_TLS_KEY) } : undefined;
  const https = config.GATEWAY_HTTPS === 'on' || (config.GATEWAY_HTTPS === 'auto' && tls !== undefined) ? tls : undefined;
  const apiHttps = https && config.GATEWAY_TLS_CA ? { ...https, ca: readFileSync(config.GATEWAY_TLS_CA), requestCert: true, rejectUnauthorized: false } : https;
  return { tls, apiHttps };
}
