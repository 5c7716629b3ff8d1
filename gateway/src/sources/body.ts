import type { FastifyRequest } from 'fastify';

/** A pushed request body as the sources read it, before any payload meaning is given to it. */
export type PushedBody =
  | { kind: 'json'; text: Buffer }
  | { kind: 'xml'; text: Buffer }
  /** multipart/form-data: the first XML or JSON part and the first picture part, if any. */
  | { kind: 'multipart'; document?: { kind: 'json' | 'xml'; text: Buffer }; picture?: { contentType: string; data: Buffer } };

export class BodyError extends Error {
  constructor(
    readonly status: 413 | 415 | 400,
    message: string,
  ) {
    super(message);
  }
}

const JSON_TYPES = /^application\/(?:[\w.+-]+\+)?json$/;
const XML_TYPES = /^(?:application|text)\/(?:[\w.+-]+\+)?xml$/;

export function documentKind(contentType: string | undefined): 'json' | 'xml' | undefined {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (JSON_TYPES.test(t)) return 'json';
  if (XML_TYPES.test(t)) return 'xml';
  return undefined;
}

/**
 * Reads a multipart body part by part with @fastify/multipart (busboy): every part is read as
 * a file so its bytes and type come together; limits bound parts, sizes and header pairs.
 */
export async function readMultipart(req: FastifyRequest, limits: { maxDocumentBytes: number; maxPictureBytes: number }): Promise<PushedBody> {
  const out: Extract<PushedBody, { kind: 'multipart' }> = { kind: 'multipart' };
  const parts = req.parts({ limits: { parts: 8, files: 8, fields: 8, headerPairs: 32, fileSize: Math.max(limits.maxDocumentBytes, limits.maxPictureBytes), fieldSize: limits.maxDocumentBytes } });
  try {
    for await (const part of parts) {
      if (part.type === 'field') {
        // A text field holding the document (some firmwares send the XML as a plain field).
        const text = Buffer.from(String(part.value));
        const kind = documentKind(part.mimetype) ?? (text.subarray(0, 1).toString() === '<' ? 'xml' : text.subarray(0, 1).toString() === '{' ? 'json' : undefined);
        if (kind && !out.document) out.document = { kind, text };
        continue;
      }
      const data = await part.toBuffer();
      const kind = documentKind(part.mimetype);
      if (kind) {
        if (data.length > limits.maxDocumentBytes) throw new BodyError(413, `the ${kind.toUpperCase()} part is ${data.length} bytes, the limit is ${limits.maxDocumentBytes}`);
        if (!out.document) out.document = { kind, text: data };
      } else if (!out.picture) {
        if (data.length > limits.maxPictureBytes) throw new BodyError(413, `the picture part is over ${limits.maxPictureBytes} bytes`);
        out.picture = { contentType: part.mimetype, data };
      }
    }
  } catch (err) {
    if (err instanceof BodyError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new BodyError(413, `a part is over ${Math.max(limits.maxDocumentBytes, limits.maxPictureBytes)} bytes`);
    if (code.startsWith('FST_')) throw new BodyError(code.endsWith('LIMIT') ? 413 : 400, (err as Error).message);
    throw new BodyError(400, `malformed multipart body: ${(err as Error).message}`);
  }
  return out;
}
