import { join } from 'node:path';
import { createGateway } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './observability/index.js';
import { RegistryError } from './registry/index.js';
import { ProfileSetError } from './profiles/index.js';
import { RuleSetError } from './rules/index.js';
import { projectRoot } from './project-root.js';
import { mapStacksLazily } from './runtime/index.js';

// Compiled (npm start, the Docker image): stacks name the TypeScript, each map read when first needed.
if (import.meta.url.endsWith('.js')) mapStacksLazily(join(projectRoot(), 'dist'));

const HELP = `Remote-supervision gateway: MQTT broker, supervision rules, events, InfluxDB history.

Usage: npm start            (or: tsx gateway/src/main.ts)

Every setting is an environment variable; all are optional:
  GATEWAY_MQTT_PORT (1883|off) GATEWAY_HTTP_PORT (8080)  GATEWAY_HOST (0.0.0.0)
  GATEWAY_MQTTS_PORT (off)   GATEWAY_TLS_CERT GATEWAY_TLS_KEY (PEM paths) GATEWAY_TLS_CA (mutual TLS)
  GATEWAY_MQTT_WS (on: MQTT over WebSocket at /mqtt)  GATEWAY_HTTPS (auto: on when a cert is set)
  limits: GATEWAY_MQTT_MAX_PACKET_BYTES (262144) GATEWAY_MAX_TOPIC_LENGTH (256) GATEWAY_MAX_METRICS (200)
          GATEWAY_MAX_DETECTIONS (100) GATEWAY_MAX_JSON_DEPTH (8) GATEWAY_MQTT_CONN_PER_SECOND (50)
          GATEWAY_LOGIN_FREE_FAILURES (5) GATEWAY_API_BODY_LIMIT (262144) GATEWAY_API_MAX_PAGE (1000)
  GATEWAY_DATA_DIR (./data)  GATEWAY_RULES_DIR (./rules) GATEWAY_REGISTRY (./registry.yaml)
  GATEWAY_API_TOKEN          bearer token for /api (generated into the data dir when unset)
  GATEWAY_MAX_CLOCK_SKEW (5m) GATEWAY_MAX_PAYLOAD_BYTES (65536) GATEWAY_LOG_LEVEL (info)
  GATEWAY_OVERDUE_CRITICAL (5m) _MAJOR (15m) _WARNING (1h) _INFO (off)
  GATEWAY_WEBHOOK_MIN_RETRY (1s) GATEWAY_WEBHOOK_MAX_RETRY (10m)
  GATEWAY_OUTBOX_MAX_BYTES (2 GiB)  GATEWAY_STOP_TIMEOUT (10s)
  INFLUX_URL                 InfluxDB to write to; unset: a private influxd from PATH, if any
  INFLUX_API (v1|v2)         override the version detected from /ping
  INFLUX_TOKEN INFLUX_ORG INFLUX_BUCKET                         (InfluxDB 2.x)
  INFLUX_DATABASE (supervision) INFLUX_RETENTION_POLICY INFLUX_USERNAME INFLUX_PASSWORD (1.x)

Stops cleanly on SIGINT/SIGTERM within GATEWAY_STOP_TIMEOUT, draining the outbox first. See README.md.
`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n\nRun with --help for the list of settings.\n`);
      return 1;
    }
    throw err;
  }
  const logger = createLogger(config.GATEWAY_LOG_LEVEL);
  let gateway;
  try {
    gateway = await createGateway({ config, logger, registryRequired: process.env.GATEWAY_REGISTRY !== undefined });
  } catch (err) {
    if (err instanceof RegistryError || err instanceof RuleSetError || err instanceof ProfileSetError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const where = await gateway.start();
  const mqttText = [where.mqttPort !== null ? `MQTT on port ${where.mqttPort}` : 'MQTT (plain) off', where.mqttsPort !== null ? `MQTT/TLS on port ${where.mqttsPort}` : null].filter(Boolean).join(', ');

  return await new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: config.GATEWAY_STOP_TIMEOUT }, 'stop took too long; exiting');
        resolveExit(1);
      }, config.GATEWAY_STOP_TIMEOUT);
      gateway.stop().then(
        ({ outbox }) => {
          clearTimeout(timer);
          process.stdout.write(
            outbox.points > 0
              ? `gateway stopped; ${outbox.points} points (${outbox.bytes} bytes) stay in the outbox and are sent on the next start\n`
              : 'gateway stopped; nothing left in the outbox\n',
          );
          resolveExit(0);
        },
        (err) => (logger.error({ err }, 'stop failed'), clearTimeout(timer), resolveExit(1)),
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // Announced only once the signal handlers are in place: a supervisor that stops the
    // gateway the moment it reads this line must get a graceful stop, not the default kill.
    if (where.hj212Port !== null || where.hj212TlsPort !== null) {
      process.stdout.write(`hj212 ready: ${[where.hj212Port !== null ? `TCP on port ${where.hj212Port}` : null, where.hj212TlsPort !== null ? `TLS on port ${where.hj212TlsPort}` : null].filter(Boolean).join(', ')}\n`);
    }
    process.stdout.write(`gateway ready: ${mqttText}, HTTP at ${where.httpUrl} (health: ${where.httpUrl}/healthz)\n`);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`gateway failed to start: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
