import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseRegistry } from '../../../gateway/src/registry/index.js';
import { decodeMessage } from '../../../gateway/src/ingest/index.js';
import { compileRuleSet, inputsFor, loadRuleSet, replay, replayDetailed } from '../../../gateway/src/rules/index.js';
import { main } from '../../../gateway/src/rules/cli.js';
import { GAS, T0, sec } from './helpers.js';

const SHIPPED = fileURLToPath(new URL('../../../rules', import.meta.url));
const rules = compileRuleSet(loadRuleSet(SHIPPED));
const REGISTRY_RAW = {
  sites: [
    {
      id: 'hb-chem-001',
      name: 'Chemical plant',
      sector: 'hazardous_chemicals',
      devices: [
        { id: 'gas-01', kind: 'sensor', secret: 'secret-123' },
        { id: 'cam-01', kind: 'camera', secret: 'secret-123' },
      ],
    },
  ],
};
const registry = parseRegistry(REGISTRY_RAW);
const TOPIC = 'sites/hb-chem-001/devices/gas-01/telemetry';
const line = (s: number, lel: number) => JSON.stringify({ topic: TOPIC, payload: { ts: sec(s), metrics: { gas_lel: lel } }, receivedAt: sec(s) });

describe('inputsFor', () => {
  it('maps telemetry to seen plus one reading per metric', () => {
    const d = decodeMessage(TOPIC, Buffer.from(JSON.stringify({ metrics: { gas_lel: 3, toxic_ppm: 1 } })), GAS, T0);
    expect(d.ok && inputsFor(d).map((i) => i.type)).toEqual(['seen', 'reading', 'reading']);
  });

  it('maps a vision message to seen plus its detections', () => {
    const cam = { ...GAS, device: 'cam-01', kind: 'camera' as const };
    const d = decodeMessage('sites/hb-chem-001/devices/cam-01/vision', Buffer.from(JSON.stringify({ camera: 'c1', detections: [{ type: 'smoking', confidence: 0.9 }] })), cam, T0);
    expect(d.ok && inputsFor(d).map((i) => i.type)).toEqual(['seen', 'detections']);
  });

  it('maps a vision message without detections to seen when the sender is given', () => {
    const cam = { ...GAS, device: 'cam-01', kind: 'camera' as const };
    const d = decodeMessage('sites/hb-chem-001/devices/cam-01/vision', Buffer.from(JSON.stringify({ camera: 'c1', detections: [] })), cam, T0);
    expect(d.ok && inputsFor(d, cam)).toEqual([{ type: 'seen', ref: cam }]);
  });

  it('maps a status message to seen', () => {
    const d = decodeMessage('sites/hb-chem-001/devices/gas-01/status', Buffer.from('{"online":true}'), GAS, T0);
    expect(d.ok && inputsFor(d)).toEqual([{ type: 'seen', ref: GAS }]);
  });
});

describe('replay', () => {
  it('raises, escalates and resolves the shipped combustible gas rule from a recording', () => {
    const out = replay(rules, registry, [line(0, 5), line(1, 30), line(2, 55), line(3, 10), line(40, 10)]);
    expect(out.filter((t) => t.rule === 'hazchem.combustible-gas').map((t) => `${t.type}:${t.severity}@${(t.at - T0) / 1000}`)).toEqual([
      'raised:warning@1',
      'escalated:critical@2',
      'resolved:critical@40',
    ]);
  });

  it('raises offline when the virtual clock passes a silence, at the instant it falls due', () => {
    const out = replay(rules, registry, [line(0, 5), line(1000, 5)]);
    expect(out.filter((t) => t.rule === 'hazchem.offline').map((t) => `${t.type}@${(t.at - T0) / 1000}`)).toEqual(['raised@300', 'resolved@1000']);
  });

  it('accepts payloads recorded as strings', () => {
    const text = JSON.stringify({ topic: TOPIC, payload: JSON.stringify({ ts: sec(0), metrics: { gas_lel: 60 } }), receivedAt: sec(0) });
    expect(replay(rules, registry, [text]).map((t) => t.severity)).toEqual(['critical']);
  });

  it('skips lines it cannot use and says why', () => {
    const r = replayDetailed(rules, registry, ['nope', '', JSON.stringify({ topic: 'sites/x/devices/y/telemetry', payload: {}, receivedAt: T0 }), JSON.stringify({ topic: TOPIC, payload: { metrics: {} }, receivedAt: T0 })]);
    expect(r.skipped.map((s) => s.line)).toEqual([1, 3, 4]);
    expect(r.skipped[1]!.reason).toMatch(/not in the registry/);
    expect(r.skipped[2]!.reason).toMatch(/^invalid_payload/);
  });

  it('gives the same transitions on every replay of the same recording', () => {
    const lines = Array.from({ length: 200 }, (_, i) => line(i * 7, (i * 37) % 70));
    expect(replay(rules, registry, lines)).toEqual(replay(rules, registry, lines));
  });
});

describe('the rules command line', () => {
  const io = () => {
    const buf = { out: '', err: '' };
    return { buf, io: { out: (s: string) => void (buf.out += s), err: (s: string) => void (buf.err += s) } };
  };

  it('check prints the counts and exits 0 for the shipped rules', () => {
    const { buf, io: sink } = io();
    expect(main(['check', SHIPPED], sink)).toBe(0);
    expect(buf.out).toMatch(/\d+ rules .* \d+ catalogue items: ok/);
  });

  it('check prints every problem as file: rule id: reason and exits 1', () => {
    const { buf, io: sink } = io();
    expect(main(['check', fileURLToPath(new URL('./fixtures/bad', import.meta.url))], sink)).toBe(1);
    expect(buf.out).toContain('dup-b.yaml: dup.gas: duplicate rule id: already defined in dup-a.yaml\n');
    expect(buf.out.trim().split('\n')).toHaveLength(8);
  });

  it('replay prints transitions as NDJSON and a summary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-replay-'));
    writeFileSync(join(dir, 'registry.yaml'), stringify(REGISTRY_RAW));
    writeFileSync(join(dir, 'in.ndjson'), [line(0, 30), line(1, 0)].join('\n'));
    const { buf, io: sink } = io();
    expect(main(['replay', '--rules', SHIPPED, '--registry', join(dir, 'registry.yaml'), '--input', join(dir, 'in.ndjson')], sink)).toBe(0);
    expect(buf.out.trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['raised']);
    expect(buf.err).toMatch(/hazchem\.combustible-gas\s+warning\s+1\s+0\s+0/);
  });

  it('prints help for each command', () => {
    const { buf, io: sink } = io();
    expect(main(['check', '--help'], sink)).toBe(0);
    expect(main(['replay', '--help'], sink)).toBe(0);
    expect(buf.out).toContain('Usage: npm run rules -- check');
    expect(buf.out).toContain('Usage: npm run rules -- replay');
  });

  it('refuses an unknown command', () => {
    const { io: sink } = io();
    expect(main(['frobnicate'], sink)).toBe(2);
  });
});
