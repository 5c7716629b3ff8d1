import type { Sector } from '../domain/index.js';
import type { PutResult } from '../evidence/index.js';
import type { ScanCode } from '../scancode/index.js';

/** What the site-code, QR, complaint and visit-step routes read (issue 17). Optional in ApiDeps. */
export interface ScanCodeApi {
  scan: ScanCode;
  /** GATEWAY_PUBLIC_URL without a trailing slash; unset: the origin the caller reached the API at. */
  publicUrl?: string;
  /** Largest complaint or inspection picture, bytes (the evidence store's limit). */
  maxPictureBytes: number;
  /** The evidence store, for inspection pictures taken on the phone. */
  pictures?: { put(bytes: Buffer, from: { site: string; sector: Sector }): Promise<PutResult> };
}
