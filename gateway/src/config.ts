import { z } from 'zod';
import { isTimeZone } from './hj212/time.js';
import { retentionSchema } from './evidence/retention.js';

const port = z.coerce.number({ error: 'must be a port number 0-65535' }).int().min(0).max(65535);
// A port, or "off" (null) for a listener that can be switched off.
const portOrOff = z.union([z.literal('off').transform(() => null), port]);
const positiveInt = (max: number) => z.coerce.number({ error: 'must be a whole number' }).int().min(1).max(max);
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 500ms, 10s, 5m, 1h or 7d')
  .transform((s) => {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(s)!;
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return Number(m[1]) * unit;
  });
// A duration, or "off" (returned as 0) where a limit can be switched off.
const durationOrOff = z.union([z.literal('off').transform(() => 0), duration]);

const optionalString = z
  .string()
  .optional()
  .transform((s) => (s === '' ? undefined : s));

// Every setting of the gateway, read from the environment. All optional with safe defaults.
export const configSchema = z.object({
  GATEWAY_MQTT_PORT: portOrOff.default(1883),
  GATEWAY_MQTTS_PORT: portOrOff.default(null),
  GATEWAY_MQTT_WS: z.enum(['on', 'off']).default('on'),
  // Browser origins allowed to open MQTT over WebSocket besides the gateway's own (comma-separated, or *).
  GATEWAY_MQTT_WS_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((o) => o.trim()).filter((o) => o !== ''))
    .pipe(z.array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be * or origins such as https://console.example.cn'))),
  GATEWAY_TLS_CERT: optionalString,
  GATEWAY_TLS_KEY: optionalString,
  GATEWAY_TLS_CA: optionalString,
  GATEWAY_HTTPS: z.enum(['auto', 'on', 'off']).default('auto'),
  GATEWAY_MQTT_MAX_PACKET_BYTES: positiveInt(64 * 1024 * 1024).default(256 * 1024),
  // A camera's packets carry its picture: 3 MiB holds a 2 MiB picture (GATEWAY_EVIDENCE_MAX_BYTES) in base64 JSON.
  GATEWAY_MQTT_MAX_CAMERA_PACKET_BYTES: positiveInt(64 * 1024 * 1024).default(3 * 1024 * 1024),
  GATEWAY_MAX_TOPIC_LENGTH: positiveInt(65535).default(256),
  GATEWAY_MAX_METRICS: positiveInt(10_000).default(200),
  GATEWAY_MAX_DETECTIONS: positiveInt(10_000).default(100),
  GATEWAY_MAX_JSON_DEPTH: positiveInt(64).default(8),
  GATEWAY_MQTT_CONN_PER_SECOND: z.coerce.number().int().min(0).default(50),
  // Persistent MQTT sessions (clean session = 0): each session's queue of offline and in-flight messages, and sessions per account.
  GATEWAY_MQTT_SESSION_MAX_MESSAGES: positiveInt(1_000_000).default(1000),
  GATEWAY_MQTT_SESSION_MAX_BYTES: positiveInt(1024 * 1024 * 1024).default(1024 * 1024),
  GATEWAY_MQTT_ACCOUNT_SESSIONS: positiveInt(1000).default(4),
  GATEWAY_LOGIN_FREE_FAILURES: positiveInt(1000).default(5),
  GATEWAY_API_BODY_LIMIT: positiveInt(64 * 1024 * 1024).default(256 * 1024),
  GATEWAY_API_MAX_PAGE: positiveInt(100_000).default(1000),
  GATEWAY_SSE_MAX_BUFFER_BYTES: z.coerce.number().int().min(4096).max(256 * 1024 * 1024).default(1024 * 1024),
  GATEWAY_SSE_STALL_TIMEOUT: duration.default(30_000),
  GATEWAY_SSE_MAX_STREAMS_PER_USER: positiveInt(10_000).default(32),
  GATEWAY_HTTP_PORT: port.default(8080),
  // A slow client (1 byte every 2 s) may hold a connection only this long: the whole request
  // (headers and body), and the headers alone. Responses (event streams) are not limited.
  GATEWAY_HTTP_REQUEST_TIMEOUT: duration.default(60_000),
  GATEWAY_HTTP_HEADERS_TIMEOUT: duration.default(20_000),
  GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
  GATEWAY_DATA_DIR: z.string().min(1).default('./data'),
  GATEWAY_RULES_DIR: z.string().min(1).default('./rules'),
  GATEWAY_REGISTRY: z.string().min(1).default('./registry.yaml'),
  /** required: rules change only through an approved backtest (no watcher, no plain reload). */
  GATEWAY_RULES_APPROVAL: z.enum(['off', 'required']).default('off'),
  GATEWAY_PROFILES_DIR: z.string().min(1).default('./profiles'),
  GATEWAY_API_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  GATEWAY_MAX_CLOCK_SKEW: duration.default(5 * 60_000),
  // How far back a payload `ts` may lie (buffered readings re-sent after an outage); older is refused as too_old.
  GATEWAY_MAX_BACKFILL: duration.default(7 * 86_400_000),
  GATEWAY_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(256).max(16 * 1024 * 1024).default(64 * 1024),
  GATEWAY_OVERDUE_CRITICAL: durationOrOff.default(5 * 60_000),
  GATEWAY_OVERDUE_MAJOR: durationOrOff.default(15 * 60_000),
  GATEWAY_OVERDUE_WARNING: durationOrOff.default(60 * 60_000),
  GATEWAY_OVERDUE_INFO: durationOrOff.default(0),
  // Private, loopback or link-local addresses webhooks may reach anyway (comma-separated IPs or CIDRs).
  GATEWAY_WEBHOOK_ALLOW: optionalString.pipe(
    z
      .string()
      .regex(/^\s*[0-9A-Fa-f:.]+(\/\d{1,3})?\s*(,\s*[0-9A-Fa-f:.]+(\/\d{1,3})?\s*)*$/, 'must be comma-separated IP addresses or CIDR ranges')
      .optional(),
  ),
  GATEWAY_WEBHOOK_MIN_RETRY: duration.default(1000),
  // Issue 16: how often every site's risk score is recomputed, and what /public/ allows one address.
  GATEWAY_RISK_INTERVAL: duration.default(5 * 60_000),
  GATEWAY_PUBLIC_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120),
  // Issue 17: the address phones reach the gateway at, printed in every site's QR code
  // (unset: the address the console was opened at). Complaints one address / one site may send per hour.
  GATEWAY_PUBLIC_URL: optionalString.pipe(
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://gateway.example.gov.cn' })
      .refine((u) => !/[?#]/.test(u), 'must not have a query or fragment: codes are appended as /s/<code>')
      .transform((u) => u.replace(/\/+$/, ''))
      .optional(),
  ),
  GATEWAY_COMPLAINTS_PER_ADDRESS: positiveInt(100_000).default(10),
  GATEWAY_COMPLAINTS_PER_SITE: positiveInt(100_000).default(60),
  GATEWAY_WEBHOOK_MAX_RETRY: duration.default(10 * 60_000),
  GATEWAY_OUTBOX_MAX_BYTES: z.coerce.number().int().min(1024).default(2 * 1024 ** 3),
  // The percentage of the outbox one device may fill; past it that device alone waits.
  GATEWAY_OUTBOX_DEVICE_SHARE: z.coerce.number({ error: 'must be a percentage 1-100' }).min(1).max(100).default(10),
  GATEWAY_STOP_TIMEOUT: duration.default(10_000),
  // Evidence pictures (issue 14): largest picture, total cap, per-sector retention (sector=<days>d,...).
  GATEWAY_EVIDENCE_MAX_BYTES: positiveInt(64 * 1024 * 1024).default(2 * 1024 * 1024),
  GATEWAY_EVIDENCE_CAP_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 ** 3),
  GATEWAY_EVIDENCE_RETENTION: retentionSchema,
  // HTTP device push (POST /ingest/v1/...): payloads per array body, and the largest body.
  GATEWAY_INGEST_MAX_ITEMS: positiveInt(10_000).default(100),
  GATEWAY_INGEST_MAX_BODY_BYTES: positiveInt(256 * 1024 * 1024).default(4 * 1024 * 1024),
  // HJ 212 data loggers over TCP (off by default) and TLS (same certificate as MQTTS).
  GATEWAY_HJ212_PORT: portOrOff.default(null),
  GATEWAY_HJ212_TLS_PORT: portOrOff.default(null),
  GATEWAY_HJ212_MAX_FRAME: positiveInt(9999).default(1024),
  // DataTime in HJ 212 frames is local time without a zone: read in this IANA zone.
  GATEWAY_TIMEZONE: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Shanghai').default('Asia/Shanghai'),
  GATEWAY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  INFLUX_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  INFLUX_API: z.enum(['v1', 'v2']).optional(),
  INFLUX_TIMEOUT: duration.default(10_000),
  INFLUX_TOKEN: optionalString,
  INFLUX_ORG: optionalString,
  INFLUX_BUCKET: optionalString,
  INFLUX_DATABASE: z.string().min(1).default('supervision'),
  INFLUX_RETENTION_POLICY: optionalString,
  INFLUX_USERNAME: optionalString,
  INFLUX_PASSWORD: optionalString,
});

export const configSchemaChecked = configSchema.superRefine((c, ctx) => {
  if (c.GATEWAY_MAX_BACKFILL < c.GATEWAY_MAX_CLOCK_SKEW) {
    ctx.addIssue({ code: 'custom', path: ['GATEWAY_MAX_BACKFILL'], message: 'must be at least GATEWAY_MAX_CLOCK_SKEW (a reading within the skew is always accepted)' });
  }
  if ((c.GATEWAY_TLS_CERT === undefined) !== (c.GATEWAY_TLS_KEY === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['GATEWAY_TLS_KEY'], message: 'GATEWAY_TLS_CERT and GATEWAY_TLS_KEY go together' });
  }
  if (c.GATEWAY_HJ212_TLS_PORT !== null && !c.GATEWAY_TLS_CERT) {
    ctx.addIssue({ code: 'custom', path: ['GATEWAY_HJ212_TLS_PORT'], message: 'needs GATEWAY_TLS_CERT and GATEWAY_TLS_KEY' });
  }
  if (c.GATEWAY_MQTTS_PORT !== null && !c.GATEWAY_TLS_CERT) {
    ctx.addIssue({ code: 'custom', path: ['GATEWAY_MQTTS_PORT'], message: 'needs GATEWAY_TLS_CERT and GATEWAY_TLS_KEY' });
  }
  if (c.GATEWAY_HTTPS === 'on' && !c.GATEWAY_TLS_CERT) {
    ctx.addIssue({ code: 'custom', path: ['GATEWAY_HTTPS'], message: 'needs GATEWAY_TLS_CERT and GATEWAY_TLS_KEY' });
  }
  if (c.GATEWAY_HTTP_HEADERS_TIMEOUT > c.GATEWAY_HTTP_REQUEST_TIMEOUT) {
    ctx.addIssue({ code: 'custom', path: ['GATEWAY_HTTP_HEADERS_TIMEOUT'], message: 'must be at most GATEWAY_HTTP_REQUEST_TIMEOUT (the headers are part of the request)' });
  }
  if (c.GATEWAY_TLS_CA && c.GATEWAY_MQTTS_PORT === null) {
    ctx.addIssue({ code: 'custom', path: ['GATEWAY_TLS_CA'], message: 'client certificates are checked on the MQTT TLS listener: set GATEWAY_MQTTS_PORT' });
  }
});

export type GatewayConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses settings from an env-like record; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const parsed = configSchemaChecked.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}
