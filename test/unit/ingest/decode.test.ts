import { describe, expect, it } from 'vitest';
import type { DeviceRef } from '../../../gateway/src/domain/index.js';
import { decodeMessage, defaultIngestLimits } from '../../../gateway/src/ingest/index.js';

const gas: DeviceRef = { site: 's1', device: 'gas-01', sector: 'hazardous_chemicals', kind: 'sensor' };
const cam: DeviceRef = { site: 's1', device: 'cam-01', sector: 'food_service', kind: 'camera' };
const NOW = Date.parse('2026-11-26T10:00:00Z');
const T = 'sites/s1/devices/gas-01/telemetry';

const decode = (payload: unknown, topic = T, from = gas) =>
  decodeMessage(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), from, NOW);

describe('decodeMessage', () => {
  it('turns each metric of a telemetry message into a reading at the payload time', () => {
    const d = decode({ ts: NOW - 1000, metrics: { gas_lel: 12.5, temperature: 30 } });
    expect(d.ok && d.channel === 'telemetry' && d.readings).toEqual([
      { ...gas, metric: 'gas_lel', value: 12.5, ts: NOW - 1000, receivedAt: NOW, skewed: false, late: false, arrival: false, valid: true },
      { ...gas, metric: 'temperature', value: 30, ts: NOW - 1000, receivedAt: NOW, skewed: false, late: false, arrival: false, valid: true },
    ]);
  });

  it('ignores a UTF-8 byte order mark before the JSON text (RFC 8259 section 8.1)', () => {
    const payload = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ metrics: { temperature: 21 } }))]);
    const d = decodeMessage(T, payload, gas, NOW);
    expect(d.ok && d.channel === 'telemetry' && d.readings.map((r) => [r.metric, r.value])).toEqual([['temperature', 21]]);
  });

  it('accepts an ISO 8601 timestamp', () => {
    const d = decode({ ts: '2026-11-26T09:59:59Z', metrics: { gas_lel: 1 } });
    expect(d.ok && d.channel === 'telemetry' && d.readings[0]!.ts).toBe(NOW - 1000);
  });

  it('uses the arrival time and marks the reading skewed when ts is further ahead than the allowed skew', () => {
    const d = decode({ ts: NOW + defaultIngestLimits.maxClockSkewMs + 1, metrics: { gas_lel: 1 } });
    expect(d.ok && d.channel === 'telemetry' && d.readings[0]).toMatchObject({ ts: NOW, skewed: true, late: false, arrival: true });
  });

  it('keeps a ts older than the skew window but inside the backfill window as the reading time, marked late', () => {
    const twoHours = NOW - 2 * 3_600_000;
    const d = decode({ ts: twoHours, metrics: { cod: 41 } });
    expect(d.ok && d.channel === 'telemetry' && d.readings[0]).toMatchObject({ ts: twoHours, skewed: false, late: true, arrival: false });
  });

  it('does not mark a ts inside the skew window late', () => {
    const d = decode({ ts: NOW - defaultIngestLimits.maxClockSkewMs, metrics: { cod: 41 } });
    expect(d.ok && d.channel === 'telemetry' && d.readings[0]).toMatchObject({ ts: NOW - defaultIngestLimits.maxClockSkewMs, late: false });
  });

  it('refuses a ts older than the backfill window as too_old, naming the window', () => {
    const d = decode({ ts: NOW - 10 * 86_400_000, metrics: { cod: 41 } });
    expect(d).toMatchObject({ ok: false, reason: 'too_old' });
    expect(!d.ok && d.detail).toContain('GATEWAY_MAX_BACKFILL');
  });

  it('takes the backfill window from the limits it is given', () => {
    const from = (ts: number) => decodeMessage(T, Buffer.from(JSON.stringify({ ts, metrics: { cod: 1 } })), gas, NOW, { ...defaultIngestLimits, maxBackfillMs: 3_600_000 });
    expect(from(NOW - 3_600_000).ok).toBe(true);
    expect(from(NOW - 3_600_001)).toMatchObject({ ok: false, reason: 'too_old' });
  });

  it('uses the arrival time without marking it skewed when the payload has no ts', () => {
    const d = decode({ metrics: { cod: 41 } });
    expect(d.ok && d.channel === 'telemetry' && d.readings[0]).toMatchObject({ ts: NOW, skewed: false, late: false, arrival: true });
  });

  it('refuses a vision message with a ts older than the backfill window as too_old', () => {
    const d = decode({ ts: NOW - 8 * 86_400_000, camera: 'k1', detections: [] }, 'sites/s1/devices/cam-01/vision', cam);
    expect(d).toMatchObject({ ok: false, reason: 'too_old' });
  });

  it('marks a value invalid when its HJ 212 data flag says fault', () => {
    const d = decode({ metrics: { gas_lel: 80 }, flags: { gas_lel: 'D' } });
    expect(d.ok && d.channel === 'telemetry' && d.readings[0]!.valid).toBe(false);
  });

  it('rejects malformed JSON with the parser reason', () => {
    expect(decode('{"metrics": {')).toMatchObject({ ok: false, reason: 'invalid_json' });
  });

  it('rejects a metric value given as a string', () => {
    const d = decode({ metrics: { gas_lel: '12' } });
    expect(d).toMatchObject({ ok: false, reason: 'invalid_payload' });
    expect(!d.ok && d.detail).toContain('metrics.gas_lel');
  });

  it('rejects a number that overflows to Infinity', () => {
    expect(decode('{"metrics": {"gas_lel": 1e999}}')).toMatchObject({ ok: false, reason: 'invalid_payload' });
  });

  it('rejects NaN, which JSON cannot carry', () => {
    expect(decode('{"metrics": {"gas_lel": NaN}}')).toMatchObject({ ok: false, reason: 'invalid_json' });
  });

  it('rejects a metric name that could break line protocol', () => {
    expect(decode({ metrics: { 'gas lel,x=1': 1 } })).toMatchObject({ ok: false, reason: 'invalid_payload' });
  });

  it('rejects a __proto__ key without polluting any prototype', () => {
    const d = decode('{"metrics": {"__proto__": {"polluted": 1}, "gas_lel": 1}}');
    expect(d).toMatchObject({ ok: false, reason: 'forbidden_key' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a constructor key', () => {
    expect(decode('{"metrics": {"constructor": 1}}')).toMatchObject({ ok: false, reason: 'forbidden_key' });
  });

  it('rejects an empty metrics object', () => {
    expect(decode({ metrics: {} })).toMatchObject({ ok: false, reason: 'invalid_payload' });
  });

  it('rejects unknown top-level keys', () => {
    expect(decode({ metrics: { gas_lel: 1 }, extra: true })).toMatchObject({ ok: false, reason: 'invalid_payload' });
  });

  it('rejects a payload over the size limit before parsing it', () => {
    const big = JSON.stringify({ metrics: { gas_lel: 1 }, pad: 'x'.repeat(defaultIngestLimits.maxPayloadBytes) });
    expect(decode(big)).toMatchObject({ ok: false, reason: 'payload_too_large' });
  });

  it('rejects JSON nested deeper than the limit', () => {
    const deep = '['.repeat(50) + ']'.repeat(50);
    expect(decode(deep)).toMatchObject({ ok: false, reason: 'json_too_deep' });
  });

  it('rejects a publish to another device topic', () => {
    expect(decode({ metrics: { gas_lel: 1 } }, 'sites/s1/devices/gas-02/telemetry')).toMatchObject({ ok: false, reason: 'foreign_topic' });
  });

  it('rejects a topic outside the grammar', () => {
    expect(decode({ metrics: { gas_lel: 1 } }, 'sites/s1/devices/gas-01/other')).toMatchObject({ ok: false, reason: 'unknown_topic' });
  });

  it('decodes a vision message into one detection per item with the camera and snapshot', () => {
    const d = decode(
      { ts: NOW, camera: 'k1', detections: [{ type: 'rat', confidence: 0.9, bbox: [1, 2, 3, 4] }], snapshot: 'https://nvr.local/s/1.jpg' },
      'sites/s1/devices/cam-01/vision',
      cam,
    );
    expect(d.ok && d.channel === 'vision' && d.detections).toEqual([
      { ...cam, camera: 'k1', type: 'rat', confidence: 0.9, bbox: [1, 2, 3, 4], snapshot: 'https://nvr.local/s/1.jpg', ts: NOW, receivedAt: NOW, skewed: false, late: false, arrival: false },
    ]);
  });

  it('rejects a detection type outside the published vocabulary', () => {
    const d = decode({ camera: 'k1', detections: [{ type: 'weird', confidence: 0.9 }] }, 'sites/s1/devices/cam-01/vision', cam);
    expect(d).toMatchObject({ ok: false, reason: 'invalid_payload' });
  });

  it('rejects a confidence above 1', () => {
    const d = decode({ camera: 'k1', detections: [{ type: 'rat', confidence: 1.5 }] }, 'sites/s1/devices/cam-01/vision', cam);
    expect(d).toMatchObject({ ok: false, reason: 'invalid_payload' });
  });

  it('decodes a status message', () => {
    const d = decode({ online: false }, 'sites/s1/devices/gas-01/status');
    expect(d.ok && d.channel === 'status' && d.status.online).toBe(false);
  });
});
