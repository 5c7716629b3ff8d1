// Evidence: pictures behind detections, content-addressed (SHA-256) under the data dir, kept
// per sector for at least the domain's retention and never while an event holding them is open.
export { sniffPicture, PICTURE_TYPES, type PictureType } from './magic.js';
export { retentionSchema, MIN_RETENTION_DAYS, DEFAULT_RETENTION_DAYS, type Retention } from './retention.js';
export { createEvidenceStore, SHA256_PATTERN, type EvidenceStore, type EvidenceOptions, type PutResult, type StoredPicture, type SweepResult } from './store.js';
export { evidenceCapWatcher, EVIDENCE_CAP_KEY } from './system-event.js';
export { keepPicture } from './keep.js';
