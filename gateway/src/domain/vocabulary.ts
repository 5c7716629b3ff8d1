import { z } from 'zod';

export const SECTORS = [
  'hazardous_chemicals',
  'mining',
  'construction',
  'pollution_source',
  'food_service',
  'fireworks',
  'other',
] as const;
export const sectorSchema = z.enum(SECTORS);
export type Sector = z.infer<typeof sectorSchema>;

// Lowest to highest (RULES.md). The index is the rank used to compare severities.
export const SEVERITIES = ['info', 'warning', 'major', 'critical'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export const DEVICE_KINDS = ['sensor', 'camera', 'gateway'] as const;
export const deviceKindSchema = z.enum(DEVICE_KINDS);
export type DeviceKind = z.infer<typeof deviceKindSchema>;

// Ids and metric names end up as MQTT topic levels, InfluxDB tag values and file names:
// a strict pattern keeps line-protocol, InfluxQL and path injection out by construction.
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'must be 1-64 characters of letters, digits, "_", "." or "-", starting with a letter or digit');

export const METRIC_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const metricNameSchema = z
  .string()
  .regex(METRIC_PATTERN, 'must be 1-64 characters of lower-case letters, digits or "_", starting with a letter');

// Detection labels from video analytics (DOMAIN.md section 3). Unknown labels are refused
// so that rules and dashboards only ever see the published vocabulary.
export const DETECTION_TYPES = [
  'no_helmet',
  'no_vest',
  'no_ppe',
  'smoking',
  'phone_use',
  'leave_post',
  'sleep_on_post',
  'intrusion',
  'overcrowding',
  'smoke',
  'fire',
  'no_chef_hat',
  'no_mask',
  'no_work_clothes',
  'rat',
  'flame_unattended',
  'overstock',
] as const;
export const detectionTypeSchema = z.enum(DETECTION_TYPES);
export type DetectionType = z.infer<typeof detectionTypeSchema>;
