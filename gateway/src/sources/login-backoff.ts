import { ADDRESS_FAILURE_FACTOR, createLoginBackoff } from '../broker/index.js';

/**
 * One count of failed device logins for every protocol (MQTT, HTTP push, HJ 212): per identity
 * at an address, and per address with ADDRESS_FAILURE_FACTOR times the room (many identities
 * guessed from one place). Shared, so a guesser alternating protocols gains no attempts.
 */
export function createDeviceLoginBackoff(freeFailures: number, maxDelayMs = 5 * 60_000, now: () => number = Date.now) {
  return {
    identity: createLoginBackoff(freeFailures, maxDelayMs, now),
    address: createLoginBackoff(freeFailures * ADDRESS_FAILURE_FACTOR, maxDelayMs, now),
  };
}
export type DeviceLoginBackoff = ReturnType<typeof createDeviceLoginBackoff>;
