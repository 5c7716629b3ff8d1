import { describe, expect, it } from 'vitest';
import type { DeviceRef } from '../../../gateway/src/domain/index.js';
import { GAS, Harness, brief, compileRules, sec } from './helpers.js';

const offline = compileRules({ id: 'offline', item: 'T-01', title: 'Silent', kind: 'offline', match: { sector: 'hazardous_chemicals' }, after: '5m', severity: 'major' });
const seen = (ref: DeviceRef = GAS) => ({ type: 'seen' as const, ref });

describe('offline rules', () => {
  it('raises on the first tick after the device has been silent for `after`', () => {
    const h = new Harness(offline);
    h.input(seen(), sec(0));
    expect(h.tick(sec(299))).toEqual([]);
    const [t] = h.tick(sec(300));
    expect(t).toMatchObject({ type: 'raised', key: 'offline|hb-chem-001|gas-01', severity: 'major', value: 300, threshold: 300, at: sec(300) });
    expect(t!.message).toBe('no message for 300 s (>= 5m) (major) at hb-chem-001/gas-01');
  });

  it('raises only once while the device stays silent', () => {
    const h = new Harness(offline);
    h.input(seen(), sec(0));
    h.tick(sec(300));
    expect(h.tick(sec(301))).toEqual([]);
    expect(h.tick(sec(3600))).toEqual([]);
  });

  it('resolves on the next message from the device', () => {
    const h = new Harness(offline);
    h.input(seen(), sec(0));
    h.tick(sec(300));
    const [t] = h.input(seen(), sec(400));
    expect(t).toMatchObject({ type: 'resolved', value: 400, at: sec(400) });
  });

  it('counts silence by the gateway clock, not by reading times', () => {
    const h = new Harness(offline);
    h.input(seen(), sec(1000));
    // A reading stamped long ago does not make the device look silent.
    h.read(1, sec(0));
    expect(h.tick(sec(1100))).toEqual([]);
  });

  it('starts the clock of an expected device that never spoke', () => {
    const h = new Harness(offline);
    h.input({ type: 'expect', ref: GAS }, sec(0));
    expect(brief(h.tick(sec(300)))).toEqual(['raised:major@300']);
  });

  it('does not restart the clock of a device already seen when it is expected', () => {
    const h = new Harness(offline);
    h.input(seen(), sec(0));
    h.input({ type: 'expect', ref: GAS }, sec(200));
    expect(brief(h.tick(sec(300)))).toEqual(['raised:major@300']);
  });

  it('waits for the device to speak before raising again after a release', () => {
    const h = new Harness(offline);
    h.input(seen(), sec(0));
    h.tick(sec(300));
    h.input({ type: 'release', key: 'offline|hb-chem-001|gas-01' }, sec(310));
    expect(h.tick(sec(320))).toEqual([]);
    expect(h.input(seen(), sec(330))).toEqual([]);
    expect(brief(h.tick(sec(630)))).toEqual(['raised:major@630']);
  });

  it('keeps a key released before it ever raised from raising until the device speaks', () => {
    const h = new Harness(offline);
    h.input(seen(), sec(0));
    h.tick(sec(10));
    h.input({ type: 'release', key: 'offline|hb-chem-001|gas-01' }, sec(20));
    expect(h.tick(sec(400))).toEqual([]);
    expect(h.input(seen(), sec(410))).toEqual([]);
    expect(brief(h.tick(sec(710)))).toEqual(['raised:major@710']);
  });

  it('raises for every silent registered device, each once, however many share the rule', () => {
    const h = new Harness(offline);
    const devices = Array.from({ length: 50 }, (_, i) => `gas-${String(i + 1).padStart(2, '0')}`);
    for (const device of devices) h.input({ type: 'expect', ref: { ...GAS, device } }, sec(0));
    expect(h.tick(sec(299))).toEqual([]);
    expect(h.tick(sec(300)).map((t) => t.device)).toEqual(devices);
    expect(h.tick(sec(301))).toEqual([]);
  });

  it('keeps raising for the other registered devices when one of them is released before it ever raised', () => {
    const h = new Harness(offline);
    const devices = ['gas-01', 'gas-02', 'gas-03'];
    for (const device of devices) h.input({ type: 'expect', ref: { ...GAS, device } }, sec(0));
    h.tick(sec(10));
    h.input({ type: 'release', key: 'offline|hb-chem-001|gas-02' }, sec(20));
    expect(h.tick(sec(300)).map((t) => t.device)).toEqual(['gas-01', 'gas-03']);
    expect(h.input(seen({ ...GAS, device: 'gas-01' }), sec(310)).map((t) => `${t.type}:${t.device}`)).toEqual(['resolved:gas-01']);
    expect(h.tick(sec(400))).toEqual([]);
  });

  it('ignores devices of sectors it does not match', () => {
    const h = new Harness(offline);
    h.input(seen({ ...GAS, sector: 'mining' }), sec(0));
    expect(h.tick(sec(1000))).toEqual([]);
  });

  it('uses a shorter `after` for the device an override names', () => {
    const h = new Harness(
      compileRules({ id: 'offline', item: 'T-01', title: 'Silent', kind: 'offline', match: {}, after: '5m', severity: 'major', overrides: [{ device: 'gas-01', after: '1m', severity: 'critical' }] }),
    );
    h.input(seen(), sec(0));
    h.input(seen({ ...GAS, device: 'gas-02' }), sec(0));
    expect(h.tick(sec(60)).map((t) => `${t.device}:${t.severity}`)).toEqual(['gas-01:critical']);
  });

  it('keeps the rule\'s own `after` and severity for every device the override does not name', () => {
    const h = new Harness(
      compileRules({ id: 'offline', item: 'T-01', title: 'Silent', kind: 'offline', match: {}, after: '5m', severity: 'major', overrides: [{ device: 'gas-02', after: '1m', severity: 'critical' }] }),
    );
    for (const device of ['gas-01', 'gas-02', 'gas-03']) h.input(seen({ ...GAS, device }), sec(0));
    expect(h.tick(sec(60)).map((t) => `${t.device}:${t.severity}:${t.threshold}`)).toEqual(['gas-02:critical:60']);
    expect(h.tick(sec(300)).map((t) => `${t.device}:${t.severity}:${t.threshold}`)).toEqual(['gas-01:major:300', 'gas-03:major:300']);
  });
});
