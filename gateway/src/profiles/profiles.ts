import { watch, type FSWatcher } from 'node:fs';
import type { Decoded, Rejection } from '../ingest/index.js';
import { jsonDepthExceeds } from '../ingest/index.js';
import { topicFor } from '../protocol/topics.js';
import type { Logger } from '../observability/index.js';
import { devicePrefix } from '../protocol/topics.js';
import type { RegisteredDevice } from '../registry/index.js';
import type { PushedBody } from '../sources/index.js';
import { loadProfiles, ProfileSetError, type ProfileProblem } from './loader.js';
import { createOnceMemory, createRepeatMemory } from './once.js';
import { createSnapshotLinks, matchSnapshotTopic } from './snapshots.js';
import { sniffPicture } from '../evidence/index.js';
import type { Profile, ProfileRoute } from './schema.js';
import { translate } from './translate.js';
import { parseDeviceXml } from './xml.js';

/** Accepted and deliberately not turned into data (Frigate stats, a false positive, a repeat). */
export type Ignored = { ignored: string };
export type ProfileResult = Decoded | Rejection | Ignored;

export interface ProfilesOptions {
  dir: string;
  logger: Logger;
  /** Decodes a canonical payload as if published on the device's own topic (same limits and checks). */
  decode: (topic: string, payload: Buffer, device: RegisteredDevice, now: number) => Decoded | Rejection;
  maxJsonDepth: number;
  onIgnored?: (profile: string, why: string) => void;
}

export type ProfileReload = { ok: true; profiles: string[] } | { ok: false; problems: ProfileProblem[] };

const PICTURE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);
const reject = (detail: string, reason: Rejection['reason'] = 'invalid_profile_message'): Rejection => ({ ok: false, reason, detail });

/**
 * Payload profiles in force: which vendor messages a device with `profile: <id>` may send
 * (MQTT topic suffixes under its own prefix, HTTP paths) and how they become the gateway's own
 * payloads. Loaded at start (an invalid set stops the start, naming file and reason) and on
 * reload (an invalid set is refused and the set in force stays).
 */
export function createProfiles(opts: ProfilesOptions) {
  let profiles = loadProfiles(opts.dir);
  // Per device and vendor event id: one detection per Frigate event, however many updates.
  const once = createOnceMemory();
  // Per device, camera and label: the latest detection, for a snapshot published after it.
  const links = createSnapshotLinks();
  // Per device, type and camera: the post counter of an ongoing alarm (ISAPI activePostCount).
  const repeats = createRepeatMemory();
  let watcher: FSWatcher | undefined;

  function profileOf(device: RegisteredDevice): Profile | Rejection | undefined {
    const id = device.entry.profile;
    if (id === undefined) return undefined;
    return profiles.get(id) ?? reject(`device ${device.device} names the payload profile "${id}", which is not loaded`);
  }

  function finish(device: RegisteredDevice, profile: Profile, route: ProfileRoute, doc: unknown, now: number, picture?: { contentType: string; data: Buffer }): ProfileResult {
    const within = (route.vision?.repeats?.withinSeconds ?? 0) * 1000;
    const t = translate(route, doc, (key) => once.has(`${device.device}|${key}`), (r) => repeats.continues(`${device.device}|${r.key}`, r.count, now, within));
    if (t.kind === 'ignored') {
      opts.onIgnored?.(profile.id, t.why);
      return { ignored: t.why };
    }
    if (t.kind === 'error') return reject(`profile ${profile.id}: ${t.detail}`);
    const decoded = opts.decode(topicFor(device.site, device.device, t.channel), Buffer.from(JSON.stringify(t.payload)), device, now);
    if (!decoded.ok) return { ...decoded, detail: `profile ${profile.id}: ${decoded.detail}` };
    if (t.onceKey !== undefined) once.add(`${device.device}|${t.onceKey}`);
    if (t.repeat) repeats.started(`${device.device}|${t.repeat.key}`, t.repeat.count, now);
    if (decoded.channel === 'vision' && t.label !== undefined && profile.snapshots?.route === route.topic) {
      links.made(device.device, decoded.camera, t.label, decoded.detections[0]!, now);
    }
    const pic = picture ?? (t.picture ? { contentType: '', data: t.picture } : undefined);
    if (decoded.channel === 'vision' && pic) return { ...decoded, picture: pic };
    return decoded;
  }

  function parseJson(text: Buffer): unknown | Rejection {
    if (jsonDepthExceeds(text, opts.maxJsonDepth)) return reject(`JSON nesting is deeper than ${opts.maxJsonDepth}`, 'json_too_deep');
    try {
      return JSON.parse(text.toString('utf8'));
    } catch (err) {
      return reject(`not JSON: ${(err as Error).message.slice(0, 120)}`, 'invalid_json');
    }
  }
  function reload(): ProfileReload {
    try {
      profiles = loadProfiles(opts.dir);
      return { ok: true, profiles: [...profiles.keys()] };
    } catch (err) {
      if (err instanceof ProfileSetError) return { ok: false, problems: err.problems };
      return { ok: false, problems: [{ file: opts.dir, reason: (err as Error).message }] };
    }
  }

  /** A picture on the profile's snapshot topic: given to the latest detection of its camera and label. */
  function snapshot(device: RegisteredDevice, profile: Profile, on: { camera: string; label: string }, payload: Buffer, now: number): ProfileResult {
    const link = profile.snapshots!;
    const route = profile.routes.find((r) => r.topic === link.route)!;
    if (!sniffPicture(payload)) return reject(`profile ${profile.id}: the snapshot is not a JPEG, PNG or WebP image (checked by its first bytes)`, 'not_a_picture');
    const camera = `${route.vision?.camera?.prefix ?? ''}${on.camera}`;
    const target = links.take(device.device, camera, on.label, now, link.withinSeconds * 1000);
    if ('none' in target) {
      opts.onIgnored?.(profile.id, target.none);
      return { ignored: target.none };
    }
    return { ok: true, channel: 'vision', camera, detections: [target.detection], picture: { contentType: '', data: payload }, amends: true };
  }

  const isRejection = (v: unknown): v is Rejection => typeof v === 'object' && v !== null && (v as Rejection).ok === false && typeof (v as Rejection).reason === 'string';

  /** Hikvision ISAPI: EventNotificationAlert as XML or JSON, alone or as a multipart part. */
  function isapiDocument(kind: 'json' | 'xml', text: Buffer): unknown | Rejection {
    if (kind === 'xml') {
      const x = parseDeviceXml(text.toString('utf8'));
      if (!x.ok) return reject(x.detail, 'invalid_xml');
      return x.value.EventNotificationAlert ?? x.value;
    }
    const j = parseJson(text);
    if (isRejection(j)) return j;
    return (j as Record<string, unknown> | null)?.EventNotificationAlert ?? j;
  }

  return {
    /** A publish on a topic of the device's profile; null when the topic is not the profile's (the canonical topics never are). */
    fromMqtt(device: RegisteredDevice, topic: string, payload: Buffer, now: number): ProfileResult | null {
      const prefix = devicePrefix(device.site, device.device);
      if (device.entry.profile === undefined || !topic.startsWith(prefix)) return null;
      const suffix = topic.slice(prefix.length);
      if (suffix === 'telemetry' || suffix === 'vision' || suffix === 'status') return null;
      const profile = profileOf(device)!;
      if (isRejection(profile)) return profile;
      const route = profile.routes.find((r) => r.topic === suffix);
      const snap = !route && profile.snapshots ? matchSnapshotTopic(profile.snapshots.topic, suffix) : null;
      if (snap) return snapshot(device, profile, snap, payload, now);
      if (!route) {
        if (profile.ignoreTopics.some((t) => suffix === t || suffix.startsWith(`${t}/`))) {
          opts.onIgnored?.(profile.id, 'ignored_topic');
          return { ignored: 'ignored_topic' };
        }
        return null;
      }
      if (route.format === 'text') return finish(device, profile, route, payload.toString('utf8').slice(0, 1024), now);
      const doc = parseJson(payload);
      if (isRejection(doc)) return doc;
      return finish(device, profile, route, doc, now);
    },

    /** A push to `/ingest/v1/<path>` served by the device's profile; null when none serves it. */
    fromHttp(device: RegisteredDevice, path: string, body: PushedBody, now: number): ProfileResult | null {
      const profile = profileOf(device);
      if (profile === undefined) return null;
      if (isRejection(profile)) return profile;
      const route = profile.routes.find((r) => r.http === path);
      if (!route) return null;
      let doc: unknown;
      let picture: { contentType: string; data: Buffer } | undefined;
      if (body.kind === 'multipart') {
        if (!body.document) return reject('the multipart body has no XML or JSON part');
        doc = route.format === 'isapi' ? isapiDocument(body.document.kind, body.document.text) : parseJson(body.document.text);
        // The part's declared type is checked against the bytes only when it names a picture type.
        if (body.picture) picture = { contentType: PICTURE_TYPES.has(body.picture.contentType) ? body.picture.contentType : '', data: body.picture.data };
      } else if (route.format === 'isapi') doc = isapiDocument(body.kind, body.text);
      else if (route.format === 'text') doc = body.text.toString('utf8').slice(0, 1024);
      else if (body.kind === 'json') doc = parseJson(body.text);
      else return reject(`/ingest/v1/${path} takes JSON`, 'invalid_json');
      if (isRejection(doc)) return doc;
      return finish(device, profile, route, doc, now, picture);
    },

    has: (id: string) => profiles.has(id),
    ids: () => [...profiles.keys()],

    reload,

    watch(onReload: (r: ProfileReload) => void): void {
      try {
        let debounce: NodeJS.Timeout | undefined;
        watcher = watch(opts.dir, () => {
          clearTimeout(debounce);
          debounce = setTimeout(() => onReload(reload()), 300);
          debounce.unref();
        });
        watcher.on('error', (err) => opts.logger.warn({ err }, 'profile directory watcher failed'));
      } catch (err) {
        opts.logger.warn({ err, dir: opts.dir }, 'cannot watch the profile directory; restart to load changed profiles');
      }
    },

    close(): void {
      watcher?.close();
    },
  };
}
export type Profiles = ReturnType<typeof createProfiles>;
