import type { Sector } from './vocabulary.js';

export interface MetricInfo {
  unit: string;
  description: string;
  sectors: Sector[];
}

// The telemetry metrics the shipped rules, the simulator and the dashboards agree on.
// Devices may send other metric names (they are stored); rules match on these.
export const METRICS: Record<string, MetricInfo> = {
  level: { unit: '%', description: 'tank liquid level, percent of height', sectors: ['hazardous_chemicals'] },
  temperature: { unit: 'degC', description: 'medium or store temperature', sectors: ['hazardous_chemicals', 'fireworks'] },
  pressure: { unit: 'MPa', description: 'tank or line pressure', sectors: ['hazardous_chemicals'] },
  gas_lel: { unit: '%LEL', description: 'combustible gas, percent of lower explosive limit', sectors: ['hazardous_chemicals'] },
  toxic_ppm: { unit: 'ppm', description: 'toxic gas (H2S equivalent)', sectors: ['hazardous_chemicals'] },
  ch4: { unit: '%vol', description: 'methane concentration', sectors: ['mining'] },
  co_ppm: { unit: 'ppm', description: 'carbon monoxide', sectors: ['mining'] },
  air_speed: { unit: 'm/s', description: 'ventilation air speed', sectors: ['mining'] },
  pm10: { unit: 'ug/m3', description: 'PM10 dust', sectors: ['construction'] },
  pm25: { unit: 'ug/m3', description: 'PM2.5 dust', sectors: ['construction'] },
  noise_db: { unit: 'dB(A)', description: 'site noise', sectors: ['construction'] },
  crane_load_pct: { unit: '%', description: 'tower crane load, percent of rated moment', sectors: ['construction'] },
  wind_speed: { unit: 'm/s', description: 'wind speed at crane height', sectors: ['construction'] },
  cod: { unit: 'mg/L', description: 'chemical oxygen demand (HJ 212 w01018)', sectors: ['pollution_source'] },
  nh3n: { unit: 'mg/L', description: 'ammonia nitrogen (HJ 212 w21003)', sectors: ['pollution_source'] },
  so2: { unit: 'mg/m3', description: 'sulphur dioxide (HJ 212 a21026)', sectors: ['pollution_source'] },
  nox: { unit: 'mg/m3', description: 'nitrogen oxides (HJ 212 a21002)', sectors: ['pollution_source'] },
  flow: { unit: 'm3/h', description: 'wastewater flow (HJ 212 w00000)', sectors: ['pollution_source'] },
  // HJ 212 loggers: the metric is the 2017 code (README "HJ 212"); _avg from minute/hourly data.
  w01018: { unit: 'mg/L', description: 'COD, real-time value (HJ 212 w01018-Rtd)', sectors: ['pollution_source'] },
  w01018_avg: { unit: 'mg/L', description: 'COD, average (HJ 212 w01018-Avg; match.interval says which)', sectors: ['pollution_source'] },
  w21003_avg: { unit: 'mg/L', description: 'ammonia nitrogen, average (HJ 212 w21003-Avg)', sectors: ['pollution_source'] },
  humidity: { unit: '%RH', description: 'relative humidity', sectors: ['fireworks'] },
};
