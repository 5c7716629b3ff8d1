import { ID_PATTERN } from '../domain/index.js';

// The MQTT topic contract (README "Topics"): devices publish under
// sites/{site}/devices/{device}/{channel} and may subscribe to their own commands only;
// supervisors' clients read events on supervision/events/{site}.

export const CHANNELS = ['telemetry', 'vision', 'status'] as const;
export type Channel = (typeof CHANNELS)[number];
const CHANNEL_SET: ReadonlySet<string> = new Set(CHANNELS);

export function isChannel(s: string): s is Channel {
  return CHANNEL_SET.has(s);
}

export interface ParsedTopic {
  site: string;
  device: string;
  channel: Channel;
}

/** `sites/{siteId}/devices/{deviceId}/{telemetry|vision|status}`, or null for any other topic. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'sites' || parts[2] !== 'devices') return null;
  const [, site, , device, channel] = parts as [string, string, string, string, string];
  if (!ID_PATTERN.test(site) || !ID_PATTERN.test(device) || !isChannel(channel)) return null;
  return { site, device, channel };
}

/** Everything a device may publish to starts with this (the broker ACL and the decoder's fast path). */
export function devicePrefix(site: string, device: string): string {
  return `sites/${site}/devices/${device}/`;
}

const prefixes = new WeakMap<object, string>();

/**
 * devicePrefix of a device record, built once per record: the broker's ACL and the decoder check
 * it on every publish. Records are never changed in place (a registry reload makes new ones).
 */
export function prefixOf(ref: { readonly site: string; readonly device: string }): string {
  let prefix = prefixes.get(ref);
  if (prefix === undefined) prefixes.set(ref, (prefix = devicePrefix(ref.site, ref.device)));
  return prefix;
}

export function topicFor(site: string, device: string, channel: Channel): string {
  return `${devicePrefix(site, device)}${channel}`;
}

/** A device's commands topic: it may subscribe to this and anything under it, nothing else. */
export function commandsTopic(site: string, device: string): string {
  return `${devicePrefix(site, device)}commands`;
}

/** The only filter a device may subscribe to: its own commands. */
export function commandsFilter(site: string, device: string): string {
  return `${commandsTopic(site, device)}/#`;
}

/** Where the gateway publishes every event transition of a site (QoS 1). */
export function eventTopic(site: string): string {
  return `supervision/events/${site}`;
}

/** What a supervisor's client may subscribe to: supervision/# and anything under supervision/. */
export const SUPERVISION_FILTER = 'supervision/#';
