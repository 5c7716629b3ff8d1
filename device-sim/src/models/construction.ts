import type { SensorModel } from './metric-model.js';

// Construction site: dust (GB 3095-2012 class II 24-h PM10 150, PM2.5 75 ug/m3; site limits
// are local and as low as 80 ug/m3 PM10 in Hebei DB13/2934-2019, so normal stays below), noise
// (GB 12523 daytime 70 dB(A)), tower crane load and wind (work stops at Beaufort 6, 10.8 m/s).
export const constructionModel: SensorModel = {
  primary: 'pm10',
  metrics: [
    { name: 'pm10', base: 55, min: 40, max: 78, spread: 5, walk: 0.5, revert: 0.01, daily: { amp: 10, peakHour: 10 }, noise: 2, decimals: 0, alarm: 150, excursion: 220 },
    { name: 'pm25', base: 30, min: 18, max: 50, spread: 4, walk: 0.3, revert: 0.01, daily: { amp: 6, peakHour: 10 }, noise: 1.2, decimals: 0, alarm: 75, excursion: 130 },
    { name: 'noise_db', base: 60, min: 48, max: 68, spread: 2, walk: 0.1, revert: 0.05, daily: { amp: 6, peakHour: 14 }, noise: 1.2, decimals: 1, alarm: 70, excursion: 85 },
    { name: 'crane_load_pct', base: 40, min: 5, max: 78, spread: 5, walk: 1.5, revert: 0.05, daily: { amp: 22, peakHour: 13 }, noise: 2, decimals: 1, alarm: 90, excursion: 105 },
    { name: 'wind_speed', base: 3.2, min: 0.3, max: 8, spread: 0.6, walk: 0.05, revert: 0.02, daily: { amp: 1.2, peakHour: 15 }, noise: 0.3, decimals: 1, alarm: 10.8, excursion: 14 },
  ],
  derive(values) {
    // PM2.5 is a fraction of PM10.
    const pm10 = values['pm10'];
    const pm25 = values['pm25'];
    if (pm10 !== undefined && pm25 !== undefined && pm25 > pm10 * 0.85) values['pm25'] = pm10 * 0.85;
  },
};
