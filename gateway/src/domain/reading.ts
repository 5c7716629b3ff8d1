import type { DetectionType, DeviceKind, Sector } from './vocabulary.js';

/** Where a message came from, resolved against the registry. */
export interface DeviceRef {
  site: string;
  device: string;
  sector: Sector;
  kind: DeviceKind;
}

/** One numeric telemetry value, after validation. */
export interface Reading extends DeviceRef {
  metric: string;
  value: number;
  /**
   * Event time (ms since epoch): the payload `ts` when it lies within the backfill window and
   * not beyond the allowed skew ahead, else `receivedAt` (ingest/event-time.ts).
   */
  ts: number;
  receivedAt: number;
  /** The payload `ts` lay further in the future than the allowed clock skew, so `ts` is the arrival time. */
  skewed: boolean;
  /** The device's own `ts`, older than the skew window: buffered data re-sent after an outage. Absent = false. */
  late?: boolean;
  /** `ts` is the arrival time (no payload `ts`, or a skewed one), not a time the device named. Absent = false. */
  arrival?: boolean;
  /** False when the carrying protocol flagged the value (fault, maintenance, calibration...): stored, never compared. */
  valid: boolean;
  /** The protocol's data flag when one was sent (HJ 212: N, S, F, M, D, C, T, B). */
  flag?: string;
  /** The data kind (HJ 212 CN 2011/2051/2061/2031); absent means real-time (`rt`). */
  interval?: 'rt' | 'min' | 'hour' | 'day';
  /** SHA-256 of the raw frame that carried the value (HJ 212: measurement hj212_frame). */
  frame?: string;
}

/** One detection from a camera's video analytics, after validation. */
export interface Detection extends DeviceRef {
  camera: string;
  type: DetectionType;
  confidence: number;
  bbox?: [number, number, number, number];
  zones?: string[];
  snapshot?: string;
  /** SHA-256 of the picture kept as evidence (GET /api/evidence/:sha256). */
  picture?: string;
  ts: number;
  receivedAt: number;
  skewed: boolean;
  /** As on Reading. */
  late?: boolean;
  arrival?: boolean;
}

/** A device's declared status (status topic) or its connection state. */
export interface DeviceStatus extends DeviceRef {
  online: boolean;
  ts: number;
  receivedAt: number;
  source: 'status' | 'connect' | 'disconnect';
}
