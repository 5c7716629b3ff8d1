import type { Detection, DetectionType, DeviceRef, Reading, Sector, Severity } from '../domain/index.js';

export type EngineInput =
  /** One telemetry value; its event time is `reading.ts`. */
  | { type: 'reading'; reading: Reading }
  /** One vision message. */
  | { type: 'detections'; detections: Detection[] }
  /** Any message from the device, at `now` (gateway clock): offline tracking. */
  | { type: 'seen'; ref: DeviceRef }
  /** A registry device: starts its offline clock at `now` if never seen; resolves nothing. */
  | { type: 'expect'; ref: DeviceRef }
  /** A person resolved the event of this key: forget it as open (a new violation may raise anew). */
  | { type: 'release'; key: string }
  /** Called by the gateway at least once a second: offline and detection clearAfter. */
  | { type: 'tick' };

export interface EvidenceItem {
  ts: number;
  confidence: number;
  bbox?: [number, number, number, number];
  zones?: string[];
  snapshot?: string;
  /** SHA-256 of the evidence picture. */
  picture?: string;
  /** SHA-256 of the HJ 212 frame that carried the deciding value (measurement hj212_frame). */
  frame?: string;
}

export interface RuleTransition {
  type: 'raised' | 'escalated' | 'resolved';
  /** rule|site|device, plus |camera|type for detection. */
  key: string;
  rule: string;
  ruleVersion: string;
  item: string;
  title: string;
  site: string;
  device: string;
  sector: Sector;
  metric?: string;
  camera?: string;
  detectionType?: DetectionType;
  severity: Severity;
  /** The compared value: reading, rate, aggregate, detection count, seconds silent... */
  value: number;
  /** The bound of the level that held (or the clear bound on resolve); null where none. */
  threshold: number | null;
  /** Event time of the deciding reading; gateway clock for offline and clearAfter. */
  at: number;
  message: string;
  /** Detection: the detections that raised it, the last 20 at most. */
  evidence?: EvidenceItem[];
}
