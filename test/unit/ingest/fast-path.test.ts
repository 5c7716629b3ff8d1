import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastTelemetryForTest as fastTelemetry } from '../../../gateway/src/ingest/decode.js';
import { telemetryPayloadSchema } from '../../../gateway/src/protocol/index.js';

const metricName = fc.oneof(fc.constantFrom('gas_lel', 'ch4', 'pm10', 'a', 'x_1'), fc.string({ maxLength: 8 }));
const value = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Infinity, -Infinity, NaN, 0, -0), fc.string({ maxLength: 3 }), fc.constant(null), fc.boolean());
const ts = fc.oneof(fc.integer({ min: -5, max: 9e15 }), fc.double(), fc.constantFrom('2026-11-26T10:00:00Z', 'soon'), fc.constant(undefined));
const payload = fc.oneof(
  fc.record({ ts, metrics: fc.dictionary(metricName, value, { maxKeys: 4 }) }, { requiredKeys: ['metrics'] }),
  fc.record({ metrics: fc.dictionary(metricName, value, { maxKeys: 4 }), extra: fc.anything() }),
  fc.anything(),
);

describe('the hand-written telemetry fast path', () => {
  it('accepts only payloads the zod schema accepts, with the same result', () => {
    fc.assert(
      fc.property(payload, (p) => {
        const fast = fastTelemetry(p);
        if (fast === null) return;
        const slow = telemetryPayloadSchema.safeParse(p);
        expect(slow.success).toBe(true);
        expect(fast).toEqual(slow.data);
      }),
      { numRuns: 5000, seed: 42 },
    );
  });

  it('takes the common shape a device sends', () => {
    expect(fastTelemetry({ ts: 1_795_000_000_000, metrics: { gas_lel: 12.5, temperature: 30 } })).toEqual({ ts: 1_795_000_000_000, metrics: { gas_lel: 12.5, temperature: 30 } });
  });

  it('leaves flags, ISO timestamps and anything unusual to zod', () => {
    expect(fastTelemetry({ metrics: { gas_lel: 1 }, flags: { gas_lel: 'D' } })).toBeNull();
    expect(fastTelemetry({ ts: '2026-11-26T10:00:00Z', metrics: { gas_lel: 1 } })).toBeNull();
    expect(fastTelemetry({ metrics: { 'Gas LEL': 1 } })).toBeNull();
  });
});
