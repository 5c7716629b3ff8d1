// Monitoring-factor codes: the HJ/T 212-2005 -> HJ 212-2017 map, and each 2017 code's name
// (Chinese and English) and unit for the console. Sources: DOMAIN.md 1.7 for the codes marked
// there. Entries marked "beyond 1.7" are not in DOMAIN.md; checked (2026-12-01, issue 13) against
// the 2005 codes and units of chenqi92/alltobs-hj212 PollutionGas.java / PollutionWater.java
// (the public enums DOMAIN.md 1.7 itself cites) and against the capture in ../shared/hj212-corpus
// (which ST sends them, value ranges): all agree, none is checked against the standard's text.
// UNVERIFIED: every unit (DOMAIN.md gives none), and a01013's kPa in particular: the capture's
// S08 values reach 105,184 (Pa-like absolute pressure) on some loggers, a few kPa on others.

export interface FactorInfo {
  zh: string;
  en: string;
  unit: string;
}

/** 2005 code -> 2017 code. Only codes whose meaning is the same in both editions. */
export const CODE_2005_TO_2017: Readonly<Record<string, string>> = Object.freeze({
  // water (DOMAIN.md 1.7)
  B01: 'w00000',
  '001': 'w01001',
  '011': 'w01018',
  '060': 'w21003',
  '101': 'w21011',
  '065': 'w21001',
  // water, beyond 1.7: the public enums agree; the capture sends both in ST=32 (water) frames, all zero
  '010': 'w01017',
  '023': 'w20116',
  // air (DOMAIN.md 1.7)
  B02: 'a00000',
  S01: 'a19001',
  '01': 'a34013',
  '02': 'a21026',
  '03': 'a21002',
  // air, beyond 1.7: the public enums agree; the capture sends them in ST=31 (flue gas) frames with
  // plausible ranges: 04 CO 0-6.6, S02 velocity 0-24 m/s, S03 temperature 0-393, S04 0-2,
  // S05 humidity 0-40 %, S07 cross-section 0-56, S08 pressure 0-105,184 (unit unclear, see above)
  '04': 'a21005',
  S02: 'a01011',
  S03: 'a01012',
  S04: 'a01017',
  S05: 'a01014',
  S07: 'a01016',
  S08: 'a01013',
});

export const FACTORS: Readonly<Record<string, FactorInfo>> = Object.freeze({
  w00000: { zh: '污水流量', en: 'wastewater flow', unit: 'L/s' },
  w01001: { zh: 'pH值', en: 'pH', unit: '' },
  w01017: { zh: '五日生化需氧量', en: 'BOD5', unit: 'mg/L' },
  w01018: { zh: '化学需氧量', en: 'COD', unit: 'mg/L' },
  w20116: { zh: '总铬', en: 'total chromium', unit: 'mg/L' },
  w21001: { zh: '总氮', en: 'total nitrogen', unit: 'mg/L' },
  w21003: { zh: '氨氮', en: 'ammonia nitrogen (NH3-N)', unit: 'mg/L' },
  w21011: { zh: '总磷', en: 'total phosphorus', unit: 'mg/L' },
  a00000: { zh: '废气流量', en: 'flue-gas flow', unit: 'm3/s' },
  a01001: { zh: '温度', en: 'temperature', unit: '℃' },
  a01002: { zh: '湿度', en: 'humidity', unit: '%' },
  a01006: { zh: '气压', en: 'pressure', unit: 'kPa' },
  a01007: { zh: '风速', en: 'wind speed', unit: 'm/s' },
  a01008: { zh: '风向', en: 'wind direction', unit: '°' },
  a01011: { zh: '烟气流速', en: 'flue-gas velocity', unit: 'm/s' },
  a01012: { zh: '烟气温度', en: 'flue-gas temperature', unit: '℃' },
  a01013: { zh: '烟气压力', en: 'flue-gas pressure', unit: 'kPa' },
  a01014: { zh: '烟气湿度', en: 'flue-gas humidity', unit: '%' },
  a01016: { zh: '烟道截面积', en: 'flue cross-section', unit: 'm2' },
  a01017: { zh: '烟气动压', en: 'flue-gas dynamic pressure', unit: 'kPa' },
  a19001: { zh: '氧气含量', en: 'oxygen (O2)', unit: '%' },
  a21002: { zh: '氮氧化物', en: 'nitrogen oxides (NOx)', unit: 'mg/m3' },
  a21005: { zh: '一氧化碳', en: 'carbon monoxide (CO)', unit: 'mg/m3' },
  a21026: { zh: '二氧化硫', en: 'sulphur dioxide (SO2)', unit: 'mg/m3' },
  a24088: { zh: '非甲烷总烃', en: 'non-methane hydrocarbons (NMHC)', unit: 'mg/m3' },
  a34001: { zh: '总悬浮颗粒物', en: 'TSP', unit: 'mg/m3' },
  a34002: { zh: '可吸入颗粒物', en: 'PM10', unit: 'mg/m3' },
  a34004: { zh: '细颗粒物', en: 'PM2.5', unit: 'mg/m3' },
  a34013: { zh: '烟尘', en: 'smoke dust', unit: 'mg/m3' },
});

/** The 2017 code for a code as sent (2005 codes mapped through the table, others unchanged). */
export function to2017(code: string): string {
  return CODE_2005_TO_2017[code] ?? code;
}
