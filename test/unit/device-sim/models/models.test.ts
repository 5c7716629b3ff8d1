import { describe, expect, it } from 'vitest';
import { METRICS, SECTORS } from '../../../../gateway/src/domain/index.js';
import { createGenerator } from '../../../../device-sim/src/index.js';
import {
  constructionModel,
  createSensorState,
  fireworksModel,
  hazardousChemicalsModel,
  miningModel,
  pollutionSourceModel,
  sensorModelFor,
} from '../../../../device-sim/src/models/index.js';
import { createRng } from '../../../../device-sim/src/prng.js';

const models = { hazardousChemicalsModel, miningModel, constructionModel, pollutionSourceModel, fireworksModel };

// Readings of every sector over three virtual days: one device per site, each every 60 s.
function longRun(sector: string) {
  const gen = createGenerator({ sites: 1, devicesPerSite: 1, sector, seed: `long-${sector}`, rate: 1 / 60 });
  return gen.take(3 * 1440 + 1).slice(1).map((m) => (m.payload as { metrics: Record<string, number> }).metrics);
}

describe('sector models', () => {
  it.each(Object.entries(models))('%s names only catalogued metrics', (_, model) => {
    for (const m of model.metrics) expect(METRICS[m.name], m.name).toBeDefined();
    expect(model.metrics.map((m) => m.name)).toContain(model.primary);
  });

  it.each(Object.entries(models))('%s keeps its normal envelope short of the alarm level', (_, model) => {
    for (const m of model.metrics) {
      if (m.alarm > m.base) expect(m.max, m.name).toBeLessThan(m.alarm);
      else expect(m.min, m.name).toBeGreaterThan(m.alarm);
    }
  });

  it('has a model for every sector', () => {
    for (const s of SECTORS) expect(sensorModelFor(s).metrics.length).toBeGreaterThan(0);
  });

  it('keeps tank-farm gas at 0-8 %LEL in normal operation', () => {
    const gas = longRun('hazardous_chemicals').map((m) => m['gas_lel']!);
    expect(Math.min(...gas)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...gas)).toBeLessThanOrEqual(8);
  });

  it('keeps mine methane at 0.1-0.5 % in normal operation', () => {
    const ch4 = longRun('mining').map((m) => m['ch4']!);
    expect(Math.min(...ch4)).toBeGreaterThanOrEqual(0.1);
    expect(Math.max(...ch4)).toBeLessThanOrEqual(0.5);
  });

  it('keeps site PM10 at 40-80 ug/m3, under the strictest site limit, and PM2.5 below it', () => {
    const run = longRun('construction');
    for (const m of run) {
      expect(m['pm10']).toBeGreaterThanOrEqual(40);
      expect(m['pm10']).toBeLessThan(80);
      expect(m['pm25']).toBeLessThanOrEqual(m['pm10']!);
    }
  });

  it('moves values over time instead of repeating one number', () => {
    const cod = longRun('pollution_source').map((m) => m['cod']!);
    expect(new Set(cod).size).toBeGreaterThan(100);
  });

  it('follows a daily cycle: site noise is louder in the afternoon than at night', () => {
    // seeded runs start 2025-01-01T00:00Z = 08:00 local; reading i is at 08:00 + i minutes
    const noise = longRun('construction').map((m) => m['noise_db']!);
    const atLocalHour = (h: number) => {
      const xs = noise.filter((_, i) => Math.floor((8 + (i + 1) / 60) % 24) === h);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(atLocalHour(14)).toBeGreaterThan(atLocalHour(2) + 6);
  });

  it('keeps normal camera detections under the 0.6 confidence alarm rules start at', () => {
    const gen = createGenerator({ sites: 2, devicesPerSite: 2, camerasPerSite: 2, sector: 'construction', seed: 'cams', rate: 1 });
    const detections = gen.take(20_000).flatMap((m) => (m.channel === 'vision' ? (m.payload as { detections: { confidence: number }[] }).detections : []));
    expect(detections.length).toBeGreaterThan(100);
    for (const d of detections) expect(d.confidence).toBeLessThan(0.6);
  });

  it('differs from one device to the next', () => {
    const a = createSensorState(fireworksModel, createRng('a')).read(0, 12);
    const b = createSensorState(fireworksModel, createRng('b')).read(0, 12);
    expect(a).not.toEqual(b);
  });
});
