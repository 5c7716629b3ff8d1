import { describe, expect, it } from 'vitest';
import { decodeEventKey, encodeEventKey } from '../../../gateway/src/domain/index.js';

describe('event keys', () => {
  it('round-trips a device rule key', () => {
    const k = { rule: 'gas', site: 'hb-chem-001', device: 'gas-01' };
    expect(encodeEventKey(k)).toBe('gas|hb-chem-001|gas-01');
    expect(decodeEventKey(encodeEventKey(k))).toEqual(k);
  });

  it('round-trips a detection key with its camera and type', () => {
    const k = { rule: 'helmet', site: 's', device: 'nvr-1', camera: 'cam-2', type: 'no_helmet' as const };
    expect(encodeEventKey(k)).toBe('helmet|s|nvr-1|cam-2|no_helmet');
    expect(decodeEventKey(encodeEventKey(k))).toEqual(k);
  });

  it('reads keys of any other shape as none of the engine', () => {
    for (const key of ['risk|site-1', 'inspection.rectification|s|p|i', 'a||b', '']) expect(decodeEventKey(key)).toBeNull();
  });
});
