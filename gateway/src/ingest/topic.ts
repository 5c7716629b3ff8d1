import { ID_PATTERN } from '../domain/index.js';

export type Channel = 'telemetry' | 'vision' | 'status';
export interface ParsedTopic {
  site: string;
  device: string;
  channel: Channel;
}

const CHANNELS = new Set<string>(['telemetry', 'vision', 'status']);

/** `sites/{siteId}/devices/{deviceId}/{telemetry|vision|status}`, or null for any other topic. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'sites' || parts[2] !== 'devices') return null;
  const [, site, , device, channel] = parts as [string, string, string, string, string];
  if (!ID_PATTERN.test(site) || !ID_PATTERN.test(device) || !CHANNELS.has(channel)) return null;
  return { site, device, channel: channel as Channel };
}

export function topicFor(site: string, device: string, channel: Channel): string {
  return `sites/${site}/devices/${device}/${channel}`;
}

/** The only filter a device may subscribe to: its own commands. */
export function commandsFilter(site: string, device: string): string {
  return `sites/${site}/devices/${device}/commands/#`;
}
