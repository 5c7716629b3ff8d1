// Reads the shared HJ 212 corpus (../shared/hj212-corpus) in place; nothing is copied into the project.
import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';

// The shared folder sits beside the checkout (CI clones it with a copy of shared/ next to it);
// the tests run from the checkout's root.
export const CORPUS_DIR = process.env.HJ212_CORPUS ?? resolve('..', 'shared', 'hj212-corpus');

export interface Vector {
  source: string;
  frame: string;
  kind: string;
  cn: string;
  crcField: string;
  crcHj212: string;
  crcModbus: string;
  verdict: string;
}

/** vectors.tsv escapes bytes as \xNN, \r, \n and \\. */
export function unescapeVector(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = text[i + 1];
    if (n === 'r') bytes.push(13), i++;
    else if (n === 'n') bytes.push(10), i++;
    else if (n === '\\') bytes.push(92), i++;
    else if (n === 'x') bytes.push(parseInt(text.slice(i + 2, i + 4), 16)), (i += 3);
    else bytes.push(92);
  }
  return Buffer.from(bytes);
}

export function readVectors(): Vector[] {
  const [head, ...rows] = readFileSync(join(CORPUS_DIR, 'vectors.tsv'), 'utf8').split('\n').filter((l) => l !== '');
  const cols = head!.split('\t');
  const at = (name: string) => cols.indexOf(name);
  return rows.map((r) => {
    const f = r.split('\t');
    return {
      source: f[at('source')]!,
      frame: f[at('frame')]!,
      kind: f[at('kind')]!,
      cn: f[at('cn')] ?? '',
      crcField: f[at('crc_field')] ?? '',
      crcHj212: f[at('crc_hj212')] ?? '',
      crcModbus: f[at('crc_modbus')] ?? '',
      verdict: f[at('verdict')] ?? '',
    };
  });
}

export function captureFiles(): string[] {
  return readdirSync(join(CORPUS_DIR, 'capture'))
    .filter((f) => f.endsWith('.h212.gz'))
    .sort()
    .map((f) => join(CORPUS_DIR, 'capture', f));
}

export function readCapture(file: string): Buffer {
  return gunzipSync(readFileSync(file));
}
