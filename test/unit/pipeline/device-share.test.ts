import { describe, expect, it } from 'vitest';
import { createDeviceShare } from '../../../gateway/src/pipeline/device-share.js';

// An outbox stand-in: appends grow `appended`, forwarding shrinks `waiting` (in order).
function outbox() {
  let appended = 0;
  let waiting = 0;
  return {
    position: { appended: () => appended, waiting: () => waiting },
    append(bytes: number): [number, number] {
      const before = appended;
      appended += bytes;
      waiting += bytes;
      return [before, appended];
    },
    forward(bytes: number) {
      waiting -= bytes;
    },
  };
}

describe('device share of the outbox', () => {
  it('holds a device once its own waiting bytes reach the share, and not another', () => {
    const o = outbox();
    const share = createDeviceShare(o.position, 100);
    for (let i = 0; i < 10; i++) share.charge('a', ...o.append(10));
    share.charge('b', ...o.append(10));
    expect([share.over('a'), share.over('b')]).toEqual([true, false]);
  });

  it("frees a device as its writes are forwarded, oldest first, including other devices' bytes before them", () => {
    const o = outbox();
    const share = createDeviceShare(o.position, 100);
    share.charge('b', ...o.append(50));
    for (let i = 0; i < 10; i++) share.charge('a', ...o.append(10));
    o.forward(50); // only b's write has left
    expect(share.over('a')).toBe(true);
    o.forward(10); // a's first write left: 90 of a's bytes wait
    expect(share.over('a')).toBe(false);
  });

  it('forgets devices whose writes all left when swept', () => {
    const o = outbox();
    const share = createDeviceShare(o.position, 100);
    share.charge('a', ...o.append(200));
    expect(share.over('a')).toBe(true);
    o.forward(200);
    share.sweep();
    expect(share.over('a')).toBe(false);
  });

  it('never holds anyone without a share', () => {
    const o = outbox();
    const share = createDeviceShare(o.position, Infinity);
    share.charge('a', ...o.append(1e9));
    expect(share.over('a')).toBe(false);
  });
});
