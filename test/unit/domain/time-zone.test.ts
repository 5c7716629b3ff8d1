import { describe, expect, it } from 'vitest';
import { isTimeZone } from '../../../gateway/src/domain/index.js';

describe('isTimeZone', () => {
  it('accepts a canonical IANA zone name', () => {
    expect(isTimeZone('Asia/Shanghai')).toBe(true);
  });

  it('accepts the aliases the runtime knows though its zone list leaves them out', () => {
    for (const zone of ['UTC', 'Etc/UTC', 'Asia/Kolkata', 'Asia/Calcutta']) expect(isTimeZone(zone), zone).toBe(true);
  });

  it('refuses a name that is no time zone', () => {
    for (const zone of ['Mars/Olympus', '', 'Asia/Shanghai '.repeat(2)]) expect(isTimeZone(zone), zone).toBe(false);
  });
});
