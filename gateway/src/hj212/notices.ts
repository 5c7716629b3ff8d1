// Frames that are neither readings nor heartbeats but say something a supervisor wants kept:
// 2081 (the logger restarted: RestartTime) and 2072 (the logger's own alarm: AlarmTime,
// `<code>-Ala` values, AlarmType). DOMAIN.md 1.6 names both CNs; the corpus README and its
// 1,018 real 2072 frames (`AlarmTime=...;B01-Ala=16.00,AlarmType=1`) and the public 2081
// vector (`RestartTime=...`) give their fields. What AlarmType's numbers mean is not in
// DOMAIN.md: it is kept as sent, not interpreted.
import type { RegisteredDevice } from '../registry/index.js';
import type { RuleTransition } from '../rules/index.js';
import { FACTORS } from './codes.js';
import type { Cp } from './cp.js';
import { valuesOf } from './readings.js';
import { parseLocalTime } from './time.js';

export type Hj212Notice =
  | { kind: 'boot'; cn: '2081'; frame: string; at: number; restartedAt?: number }
  | { kind: 'alarm'; cn: '2072'; frame: string; at: number; alarmType?: string; values: Array<{ metric: string; code2017: string; value: number }> };

export const NOTICE_CNS: ReadonlySet<string> = new Set(['2072', '2081']);

/** The notice a 2072 or 2081 frame carries; undefined for other CNs. Times in `zone`; a missing or bad time is the arrival time. */
export function noticeOf(cn: string, cp: Cp, zone: string, frame: string, receivedAt: number): Hj212Notice | undefined {
  const time = (text: string | undefined) => (text === undefined ? undefined : parseLocalTime(text, zone));
  if (cn === '2081') {
    const restartedAt = time(cp.keys.RestartTime);
    return { kind: 'boot', cn, frame, at: time(cp.dataTime) ?? restartedAt ?? receivedAt, ...(restartedAt !== undefined ? { restartedAt } : {}) };
  }
  if (cn !== '2072') return undefined;
  const values = valuesOf(cp)
    .filter((v) => v.suffix === 'Ala')
    .map((v) => ({ metric: v.metric, code2017: v.code2017, value: v.value }));
  const alarmType = cp.keys.AlarmType;
  return { kind: 'alarm', cn, frame, at: time(cp.keys.AlarmTime) ?? time(cp.dataTime) ?? receivedAt, values, ...(alarmType !== undefined ? { alarmType } : {}) };
}

export const ALARM_RULE = 'hj212.logger-alarm';

/**
 * One supervision event per pollutant the logger alarms on (catalogue item PS-06), keyed per
 * device and metric, so the logger's repeats (the corpus logger sends one every 5 minutes)
 * raise it once; a person resolves it. Warning, not an exceedance: the gateway's own rules on
 * valid values decide exceedances (DOMAIN.md 1.5); this says the logger itself raised an alarm.
 * The frame's SHA-256 is the evidence.
 */
export function alarmTransitions(device: RegisteredDevice, n: Extract<Hj212Notice, { kind: 'alarm' }>): RuleTransition[] {
  return n.values.map((v) => {
    const name = FACTORS[v.code2017];
    const what = name ? `${name.zh} (${name.en})` : v.code2017;
    return {
      type: 'raised',
      key: `${ALARM_RULE}|${device.site}|${device.device}|${v.metric}`,
      rule: ALARM_RULE,
      ruleVersion: 'builtin',
      item: 'PS-06',
      title: `数采仪报警 (HJ 212 logger alarm): ${what}`,
      site: device.site,
      device: device.device,
      sector: device.sector,
      metric: v.metric,
      severity: 'warning',
      value: v.value,
      threshold: null,
      at: n.at,
      message: `the data logger reported an alarm (CN 2072) on ${what}: ${v.value}${name?.unit ? ` ${name.unit}` : ''}${n.alarmType !== undefined ? `, AlarmType=${n.alarmType}` : ''}`,
      evidence: [{ ts: n.at, confidence: 1, frame: n.frame }],
    };
  });
}
