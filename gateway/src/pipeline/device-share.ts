// Each device's share of the outbox (issue 20, finding 12): how many of the bytes waiting for
// InfluxDB a device wrote. The outbox is forwarded in order, so a write has left it once the
// bytes forwarded in all pass the position its last byte was appended at; a device over its
// share waits alone (its acknowledgements held) while the others go on up to the outbox cap.

export interface OutboxPosition {
  /** Bytes appended so far (grows at once on each append). */
  appended(): number;
  /** Bytes appended and not yet forwarded. */
  waiting(): number;
}

export interface DeviceShare {
  /** Charges `device` with what it appended between two readings of `appended()`. */
  charge(device: string, before: number, after: number): void;
  /** Is `device` at or over its share of the outbox? */
  over(device: string): boolean;
  /** Forgets what was forwarded for every device (once a second), so memory follows the backlog. */
  sweep(): void;
}

/** `maxBytes` per device; Infinity for no share (the outbox cap alone applies). */
export function createDeviceShare(position: OutboxPosition, maxBytes: number): DeviceShare {
  // Per device, its writes still in the outbox, oldest first: [end position, bytes] pairs.
  const writes = new Map<string, { ends: number[]; sizes: number[]; head: number; bytes: number }>();

  function settle(device: string, forwarded: number): number {
    const w = writes.get(device);
    if (w === undefined) return 0;
    while (w.head < w.ends.length && w.ends[w.head]! <= forwarded) w.bytes -= w.sizes[w.head++]!;
    if (w.head === w.ends.length) {
      writes.delete(device);
      return 0;
    }
    // Drop the settled prefix now and then, not on every write.
    if (w.head > 1024 && w.head * 2 > w.ends.length) {
      w.ends = w.ends.slice(w.head);
      w.sizes = w.sizes.slice(w.head);
      w.head = 0;
    }
    return w.bytes;
  }

  const forwarded = () => position.appended() - position.waiting();

  return {
    charge(device, before, after) {
      if (maxBytes === Infinity || after <= before) return;
      let w = writes.get(device);
      if (w === undefined) writes.set(device, (w = { ends: [], sizes: [], head: 0, bytes: 0 }));
      w.ends.push(after);
      w.sizes.push(after - before);
      w.bytes += after - before;
    },
    over(device) {
      if (maxBytes === Infinity) return false;
      // Settling only lowers a device's bytes: one under its share is not over, with no look at
      // what was forwarded (this runs for every message; sweep() settles once a second).
      const w = writes.get(device);
      if (w === undefined || w.bytes < maxBytes) return false;
      return settle(device, forwarded()) >= maxBytes;
    },
    sweep() {
      const f = forwarded();
      for (const device of [...writes.keys()]) settle(device, f);
    },
  };
}
