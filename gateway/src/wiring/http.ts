import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildApi, createPositionCursors } from '../api/index.js';
import type { GatewayConfig } from '../config.js';
import type { EvidenceStore } from '../evidence/index.js';
import { createHealth } from '../health.js';
import { createEventActions, type Pipeline } from '../pipeline/index.js';
import type { Profiles } from '../profiles/index.js';
import { readQualityEvents } from '../quality/index.js';
import { createBacktestService } from '../rules/backtest-service.js';
import { runBacktestInWorker } from '../rules/backtest-thread.js';
import { kvGet, kvSet } from '../storage/index.js';
import type { ScanCode } from '../scancode/index.js';
import type { SupervisionHost } from '../supervision-host.js';
import type { GatewayState, ModuleLog } from './state.js';
import type { TlsSettings } from './settings.js';

/** Backtests read history from InfluxDB in a worker thread; their approvals go into the audit trail. Absent when history is off. */
export function buildBacktests(config: GatewayConfig, s: Pick<GatewayState, 'dataDir' | 'db' | 'rulesDir' | 'registry' | 'history' | 'rules' | 'events'>, clock: () => number) {
  const { history, events, db } = s;
  if (history.url === null) return undefined;
  const url = history.url;
  return createBacktestService({
    rulesDir: s.rulesDir,
    workDir: join(s.dataDir, 'backtests'),
    baseJob: () => ({ registryPath: s.registry.path, stateDbPath: join(s.dataDir, 'state.db'), influx: { url, api: config.INFLUX_API, token: config.INFLUX_TOKEN, org: config.INFLUX_ORG, bucket: config.INFLUX_BUCKET, database: config.INFLUX_DATABASE, retentionPolicy: config.INFLUX_RETENTION_POLICY, ...history.credentials } }),
    current: () => s.rules.rules().set,
    run: (job, onProgress) => runBacktestInWorker(job, onProgress),
    reload: () => s.rules.view.reload(),
    audit: (r) => void events.audit.append({ kind: 'rules', eventId: null, windowId: null, site: 'gateway', device: null, type: r.type, at: r.at, actor: r.actor, note: r.note, severity: null, value: null, detail: r.detail }),
    kv: { get: (k) => kvGet(db, k), set: (k, v) => kvSet(db, k, v) },
    clock,
  });
}

/**
 * The key that seals the API's chain positions for scoped callers (api/cursor.ts). Kept in the
 * state database, so cursors and stream ids stay valid across restarts; whoever can read that
 * database reads the audit trail itself anyway.
 */
function cursorKey(db: GatewayState['db']): Buffer {
  const kept = kvGet(db, 'api-cursor-key');
  if (kept) return Buffer.from(kept, 'base64');
  const key = randomBytes(32);
  kvSet(db, 'api-cursor-key', key.toString('base64'));
  return key;
}

/** The HTTP API (api/) on the gateway's parts, with its health and readiness reports. */
export async function buildHttpApi(
  config: GatewayConfig,
  s: GatewayState,
  parts: { pipeline: Pipeline; evidence: EvidenceStore; profiles: Profiles; supervision: SupervisionHost; scancode: ScanCode; connectedDevices: () => number; tls: TlsSettings; clock: () => number; log: ModuleLog },
) {
  const { pipeline, clock } = parts;
  const health = createHealth({
    history: s.history,
    connectedDevices: parts.connectedDevices,
    refusing: () => pipeline.stopping() || pipeline.outboxFull(),
    outboxCapBytes: config.GATEWAY_OUTBOX_MAX_BYTES,
    clock,
  });
  return buildApi({
    https: parts.tls.apiHttps,
    bodyLimit: config.GATEWAY_API_BODY_LIMIT,
    timeouts: { requestMs: config.GATEWAY_HTTP_REQUEST_TIMEOUT, headersMs: config.GATEWAY_HTTP_HEADERS_TIMEOUT },
    maxPage: config.GATEWAY_API_MAX_PAGE,
    users: s.users,
    actions: createEventActions(s.events, pipeline, clock),
    maintenance: s.maintenance,
    webhooks: s.webhooks,
    sse: s.sse,
    cursors: createPositionCursors(cursorKey(s.db)),
    rules: s.rules.view,
    reloadRegistry: s.registry.reload,
    clock,
    logger: parts.log('api'),
    metrics: s.metrics,
    registry: s.registry.current,
    events: s.events,
    devices: s.liveness.devices,
    evidence: parts.evidence,
    payloadProfiles: parts.profiles,
    readings: s.history.enabled ? s.history : null,
    supervision: parts.supervision.api,
    scancode: { scan: parts.scancode, publicUrl: config.GATEWAY_PUBLIC_URL, maxPictureBytes: config.GATEWAY_EVIDENCE_MAX_BYTES, pictures: parts.evidence },
    qualityEvents: (f) => readQualityEvents(s.db, f),
    backtests: buildBacktests(config, s, clock),
    rulesApprovalRequired: config.GATEWAY_RULES_APPROVAL === 'required',
    ready: health.ready,
    health: health.health,
  });
}
