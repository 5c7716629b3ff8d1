import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 500ms, 10s, 5m or 1h')
  .transform((s) => {
    const m = /^(\d+)(ms|s|m|h)$/.exec(s)!;
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
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
  GATEWAY_MQTT_PORT: port.default(1883),
  GATEWAY_HTTP_PORT: port.default(8080),
  GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
  GATEWAY_DATA_DIR: z.string().min(1).default('./data'),
  GATEWAY_RULES_DIR: z.string().min(1).default('./rules'),
  GATEWAY_REGISTRY: z.string().min(1).default('./registry.yaml'),
  GATEWAY_API_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  GATEWAY_MAX_CLOCK_SKEW: duration.default(5 * 60_000),
  GATEWAY_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(256).max(16 * 1024 * 1024).default(64 * 1024),
  GATEWAY_OVERDUE_CRITICAL: durationOrOff.default(5 * 60_000),
  GATEWAY_OVERDUE_MAJOR: durationOrOff.default(15 * 60_000),
  GATEWAY_OVERDUE_WARNING: durationOrOff.default(60 * 60_000),
  GATEWAY_OVERDUE_INFO: durationOrOff.default(0),
  GATEWAY_WEBHOOK_MIN_RETRY: duration.default(1000),
  GATEWAY_WEBHOOK_MAX_RETRY: duration.default(10 * 60_000),
  GATEWAY_OUTBOX_MAX_BYTES: z.coerce.number().int().min(1024).default(2 * 1024 ** 3),
  GATEWAY_STOP_TIMEOUT: duration.default(10_000),
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

export type GatewayConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses settings from an env-like record; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}
