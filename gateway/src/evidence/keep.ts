import type { Decoded, Rejection } from '../ingest/index.js';
import type { RegisteredDevice } from '../registry/index.js';
import type { EvidenceStore } from './store.js';

type Vision = Extract<Decoded, { channel: 'vision' }>;

/**
 * Stores a vision message's picture and puts its hash on every detection. A picture that is
 * too large or not an image rejects the message (the device gets the reason); a full store
 * keeps the detections without their picture, since the alarm matters more than its image.
 */
export async function keepPicture(store: EvidenceStore, msg: Vision, from: RegisteredDevice, onDropped: (reason: string, detail: string) => void): Promise<Decoded | Rejection> {
  const { picture, ...rest } = msg;
  if (!picture) return msg;
  const put = await store.put(picture.data, { site: from.site, sector: from.sector, ...(picture.contentType ? { declared: picture.contentType } : {}) });
  if (put.ok) return { ...rest, detections: rest.detections.map((d) => ({ ...d, picture: put.sha256 })) };
  if (put.reason === 'evidence_disk_full') {
    onDropped(put.reason, put.detail);
    return rest;
  }
  return { ok: false, reason: put.reason, detail: put.detail };
}
