import type { SensorModel } from './metric-model.js';

// Tank farm of a major hazard source (DOMAIN.md 2): level, temperature, pressure and leak
// detectors. Alarm references: GB/T 50493-2019 combustible gas first level <= 25 %LEL,
// second level <= 50 %LEL; toxic gas (H2S) first level at 100 %OEL = 10 ppm. A tank's
// contents have a large thermal mass: temperature moves by tenths of a degree per minute.
export const hazardousChemicalsModel: SensorModel = {
  primary: 'gas_lel',
  metrics: [
    { name: 'level', base: 55, min: 20, max: 85, spread: 10, walk: 0.05, revert: 0.001, noise: 0.1, decimals: 1, alarm: 90, excursion: 97 },
    { name: 'temperature', base: 22, min: 5, max: 38, spread: 2, walk: 0.01, revert: 0.01, daily: { amp: 5, peakHour: 15 }, noise: 0.05, decimals: 1, alarm: 50, excursion: 65 },
    { name: 'pressure', base: 0.18, min: 0.05, max: 0.35, spread: 0.03, walk: 0.001, revert: 0.01, daily: { amp: 0.01, peakHour: 15 }, noise: 0.002, decimals: 3, alarm: 0.6, excursion: 0.8 },
    { name: 'gas_lel', base: 1.5, min: 0, max: 8, spread: 0.8, walk: 0.05, revert: 0.05, noise: 0.3, decimals: 1, alarm: 25, excursion: 60 },
    { name: 'toxic_ppm', base: 0.8, min: 0, max: 5, spread: 0.4, walk: 0.02, revert: 0.05, noise: 0.15, decimals: 2, alarm: 10, excursion: 30 },
  ],
};
