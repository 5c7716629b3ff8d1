import type { SensorModel } from './metric-model.js';

// Coal-mine working face: methane alarms at 1.0 %, power is cut at 1.5 % (DOMAIN.md 4);
// CO alarm at 24 ppm; air speed must stay above 0.25 m/s at a working face.
export const miningModel: SensorModel = {
  primary: 'ch4',
  metrics: [
    { name: 'ch4', base: 0.25, min: 0.1, max: 0.5, spread: 0.06, walk: 0.005, revert: 0.02, noise: 0.01, decimals: 2, alarm: 1.0, excursion: 1.6 },
    { name: 'co_ppm', base: 6, min: 0, max: 18, spread: 2, walk: 0.1, revert: 0.03, noise: 0.4, decimals: 1, alarm: 24, excursion: 50 },
    { name: 'air_speed', base: 2.2, min: 0.8, max: 4, spread: 0.4, walk: 0.02, revert: 0.02, noise: 0.05, decimals: 2, alarm: 0.25, excursion: 0.1 },
  ],
};
