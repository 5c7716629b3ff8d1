import { resolve } from 'node:path';
import type { GatewayConfig } from '../config.js';
import type { Severity } from '../domain/index.js';
import { createEvidenceStore, keepPicture } from '../evidence/index.js';
import { decodeMessage, type IngestLimits } from '../ingest/index.js';
import { createRateLimitedLog } from '../observability/index.js';
import { createPipeline, type Pipeline, type PipelineOptions } from '../pipeline/index.js';
import { createProfiles, type Profiles } from '../profiles/index.js';
import type { Component } from '../runtime/index.js';
import type { GatewayState, ModuleLog } from './state.js';

/** Evidence pictures: the store, and how the pipeline keeps a message's picture (a drop is counted and logged, rate-limited). */
export function buildEvidence(config: GatewayConfig, s: Pick<GatewayState, 'dataDir' | 'db' | 'metrics'>, clock: () => number, log: ModuleLog) {
  const evidence = createEvidenceStore({ dataDir: s.dataDir, db: s.db, clock, maxPictureBytes: config.GATEWAY_EVIDENCE_MAX_BYTES, capBytes: config.GATEWAY_EVIDENCE_CAP_BYTES, retention: config.GATEWAY_EVIDENCE_RETENTION });
  const evidenceLog = log('evidence');
  const dropped = s.metrics.counter('gateway_evidence_dropped_total', 'Pictures not kept although their detections were, by reason');
  const limit = createRateLimitedLog(60_000, clock);
  const pictureLog = (reason: string, detail: string) => (dropped.inc({ reason }), limit.shouldLog(`evidence|${reason}`) && evidenceLog.error({ reason, detail }, 'picture not kept'));
  const keep: NonNullable<PipelineOptions['pictures']> = (message, device) => keepPicture(evidence, message, device, pictureLog);
  return { evidence, evidenceLog, keep };
}

/** Payload profiles: vendor messages (MQTT topics, HTTP paths) turned into the contract's shape, and their folder watcher. */
export function buildProfiles(config: GatewayConfig, s: Pick<GatewayState, 'metrics' | 'registry'>, limits: IngestLimits, log: ModuleLog): { profiles: Profiles; watcher: Component } {
  const dir = resolve(config.GATEWAY_PROFILES_DIR);
  const profilesLog = log('profiles');
  const ignored = s.metrics.counter('gateway_profile_ignored_total', 'Vendor messages accepted and deliberately not turned into data, by profile and why');
  const profiles = createProfiles({
    dir,
    logger: profilesLog,
    decode: (topic, payload, device, now) => decodeMessage(topic, payload, device, now, limits),
    maxJsonDepth: limits.maxJsonDepth,
    onIgnored: (profile, why) => ignored.inc({ profile, why }),
  });
  profilesLog.info({ dir, profiles: profiles.ids() }, 'payload profiles loaded');
  for (const d of s.registry.current().devices()) if (d.entry.profile && !profiles.has(d.entry.profile)) profilesLog.warn({ device: d.device, profile: d.entry.profile }, 'device names a payload profile that is not loaded; its vendor messages are refused');
  const watcher: Component = {
    name: 'profiles-watcher',
    start: () => profiles.watch((r) => (r.ok ? profilesLog.info(r, 'payload profiles reloaded') : profilesLog.warn({ problems: r.problems }, 'payload profile reload refused; the profiles in force are unchanged'))),
    stop: () => profiles.close(),
  };
  return { profiles, watcher };
}

/** The one accept() path every source feeds (pipeline/); its sinks are added by the caller, in order. */
export function buildPipeline(
  config: GatewayConfig,
  s: Pick<GatewayState, 'rules' | 'events' | 'maintenance' | 'history' | 'liveness' | 'metrics'>,
  parts: { limits: IngestLimits; overdueLimits: Partial<Record<Severity, number>>; keepPicture: PipelineOptions['pictures']; profiles: Profiles; clock: () => number; log: ModuleLog },
): Pipeline {
  return createPipeline({
    engine: s.rules,
    events: s.events,
    maintenance: s.maintenance,
    store: s.history,
    liveness: s.liveness,
    metrics: s.metrics,
    limits: parts.limits,
    pictures: parts.keepPicture,
    outboxCapBytes: config.GATEWAY_OUTBOX_MAX_BYTES,
    deviceShareBytes: Math.floor((config.GATEWAY_OUTBOX_MAX_BYTES * config.GATEWAY_OUTBOX_DEVICE_SHARE) / 100),
    overdueLimits: parts.overdueLimits,
    translate: parts.profiles.fromMqtt,
    clock: parts.clock,
    logger: parts.log('pipeline'),
  });
}
