import type { SensorModel } from './metric-model.js';

// Fireworks product store: temperature and humidity (DOMAIN.md 4). Also used for sensors of
// sectors without their own model (kitchens, "other"): a store-room climate is a fair default.
export const fireworksModel: SensorModel = {
  primary: 'temperature',
  metrics: [
    { name: 'temperature', base: 18, min: 5, max: 28, spread: 2, walk: 0.01, revert: 0.01, daily: { amp: 4, peakHour: 15 }, noise: 0.05, decimals: 1, alarm: 35, excursion: 42 },
    // Relative humidity peaks around dawn, when the temperature is lowest.
    { name: 'humidity', base: 58, min: 45, max: 70, spread: 4, walk: 0.1, revert: 0.01, daily: { amp: 6, peakHour: 5 }, noise: 0.5, decimals: 1, alarm: 80, excursion: 90 },
  ],
};
