import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeRisk, loadRiskModel, parseRiskModel, RiskModelError, type RiskInput } from '../../../gateway/src/risk/index.js';

const model = loadRiskModel(resolve('rules/risk.yaml'));
const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const base = (over: Partial<RiskInput> = {}): RiskInput => ({ site: 's1', creditGrade: 'B', events: [], offlineShare: 0, invalidShare: 0, inspections: [], ...over });
const critical = (at: number, disposition: string | null = null) => ({ item: 'HC-01', severity: 'critical' as const, raisedAt: at, disposition, overdue: false });
const sum = (r: ReturnType<typeof computeRisk>) => Math.round(r.breakdown.reduce((s, l) => s + l.points * 100, 0)) / 100;

describe('risk score', () => {
  it('rises when a confirmed critical violation is in the window', () => {
    const before = computeRisk(model, base(), NOW);
    const after = computeRisk(model, base({ events: [critical(NOW - DAY, 'confirmed_violation')] }), NOW);
    expect(after.score).toBeGreaterThan(before.score);
    expect(after.breakdown.find((l) => l.factor === 'events')?.points).toBe(45);
  });

  it('counts a false alarm far less than a confirmed violation', () => {
    const confirmed = computeRisk(model, base({ events: [critical(NOW - DAY, 'confirmed_violation')] }), NOW).score;
    const falseAlarm = computeRisk(model, base({ events: [critical(NOW - DAY, 'false_alarm')] }), NOW).score;
    expect(falseAlarm).toBeLessThan(confirmed / 5);
  });

  it('falls after a clean inspection', () => {
    const events = [critical(NOW - 3 * DAY, 'confirmed_violation')];
    const before = computeRisk(model, base({ events }), NOW);
    const after = computeRisk(model, base({ events, inspections: [{ endedAt: NOW - DAY, conclusion: 'compliant', overdueRectifications: 0 }] }), NOW);
    expect(after.score).toBeLessThan(before.score);
  });

  it('forgets an event once virtual time moves it out of the 30-day window', () => {
    const input = base({ events: [critical(NOW, 'confirmed_violation')] });
    expect(computeRisk(model, input, NOW + 29 * DAY).score).toBeGreaterThan(computeRisk(model, input, NOW + 31 * DAY).score);
  });

  it('gives a breakdown that adds up to the score exactly, clamp included', () => {
    const heavy = base({ creditGrade: 'D', offlineShare: 0.7, invalidShare: 0.33, events: Array.from({ length: 20 }, (_, i) => ({ ...critical(NOW - i * DAY), overdue: i % 2 === 0 })) });
    const light = base({ creditGrade: 'A', inspections: [{ endedAt: NOW - DAY, conclusion: 'compliant', overdueRectifications: 0 }] });
    for (const input of [base(), heavy, light]) {
      const r = computeRisk(model, input, NOW);
      expect(sum(r)).toBe(r.score);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(100);
    }
    expect(computeRisk(model, heavy, NOW).level).toBe('red');
    expect(computeRisk(model, light, NOW).breakdown.map((l) => l.factor)).toContain('clamp');
  });

  it('caps what events alone can add', () => {
    const r = computeRisk(model, base({ events: Array.from({ length: 50 }, (_, i) => critical(NOW - i * 1000)) }), NOW);
    expect(r.breakdown.filter((l) => l.factor.startsWith('events')).reduce((s, l) => s + l.points, 0)).toBe(50);
  });

  it('maps scores to levels by the thresholds', () => {
    const at = (grade: 'A' | 'D', offline: number) => computeRisk(model, base({ creditGrade: grade, offlineShare: offline }), NOW).level;
    expect(at('A', 0)).toBe('blue');
    expect(at('D', 0.5)).toBe('yellow');
  });

  it('carries the model version', () => {
    expect(computeRisk(model, base(), NOW).modelVersion).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('risk model file', () => {
  it('refuses thresholds that do not rise, naming the path', () => {
    const text = `levels: { yellow: 60, orange: 50, red: 75 }\nevents: { severity: { info: 0, warning: 1, major: 2, critical: 3 }, cap: 50 }\noverdueAcknowledgement: 1\nofflineShare: 1\ninvalidShare: 1\ncreditGrade: { A: 0, B: 1, C: 2, D: 3, unrated: 2 }\ninspections: { compliant: -1, non_compliant: 1, rectification_ordered: 1, rectificationOverdue: 1 }\n`;
    expect(() => parseRiskModel(text)).toThrow(RiskModelError);
    expect(() => parseRiskModel(text)).toThrow(/levels/);
  });
});
