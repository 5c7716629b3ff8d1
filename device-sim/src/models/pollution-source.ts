import type { SensorModel } from './metric-model.js';

// Pollution source online monitoring (HJ 212 factors, DOMAIN.md 1.7): wastewater outlet
// (GB 8978 class 1: COD 100, NH3-N 15 mg/L) and flue gas (ultra-low: SO2 35, NOx 50 mg/m3).
export const pollutionSourceModel: SensorModel = {
  primary: 'cod',
  metrics: [
    { name: 'cod', base: 45, min: 20, max: 80, spread: 6, walk: 0.2, revert: 0.005, daily: { amp: 6, peakHour: 11 }, noise: 1, decimals: 1, alarm: 100, excursion: 160 },
    { name: 'nh3n', base: 4, min: 1, max: 10, spread: 1, walk: 0.03, revert: 0.01, noise: 0.15, decimals: 2, alarm: 15, excursion: 28 },
    { name: 'so2', base: 18, min: 5, max: 30, spread: 3, walk: 0.1, revert: 0.02, noise: 0.8, decimals: 1, alarm: 35, excursion: 80 },
    { name: 'nox', base: 32, min: 15, max: 45, spread: 4, walk: 0.15, revert: 0.02, noise: 1, decimals: 1, alarm: 50, excursion: 110 },
    { name: 'flow', base: 160, min: 50, max: 300, spread: 20, walk: 1, revert: 0.01, daily: { amp: 70, peakHour: 11 }, noise: 4, decimals: 1, alarm: 400, excursion: 520 },
  ],
};
