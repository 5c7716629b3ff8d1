// Pictures are recognised by their first bytes only: what a device declares, or a file name
// says, is never trusted (a "JPEG" that is HTML would otherwise be served to browsers).

export const PICTURE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type PictureType = (typeof PICTURE_TYPES)[number];

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The picture type the bytes start with, or null for anything else. */
export function sniffPicture(bytes: Uint8Array): PictureType | null {
  // JPEG/JFIF: SOI marker followed by another marker (ITU T.81 B.1.1.2).
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, 8).equals(PNG)) return 'image/png';
  // WebP: a RIFF container whose form type is "WEBP" (RFC 9649 section 2.5).
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}
