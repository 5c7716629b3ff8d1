import { describe, expect, it } from 'vitest';
import { alarmTransitions, noticeOf, parseCp } from '../../../gateway/src/hj212/index.js';
import type { RegisteredDevice } from '../../../gateway/src/registry/index.js';

// 2072 and 2081 frames as the corpus and the public vectors show them.
const ZONE = 'Asia/Shanghai';
const device = { site: 'plant-01', device: 'logger-01', sector: 'pollution_source', kind: 'gateway' } as unknown as RegisteredDevice;

describe('HJ 212 notices', () => {
  it('reads a 2072 alarm: AlarmTime in the zone, the -Ala values under their 2017 metric, AlarmType as sent', () => {
    const n = noticeOf('2072', parseCp('AlarmTime=20160823235559;B01-Ala=16.00,AlarmType=1'), ZONE, 'f'.repeat(64), 0);
    expect(n).toEqual({ kind: 'alarm', cn: '2072', frame: 'f'.repeat(64), at: Date.UTC(2016, 7, 23, 15, 55, 59), alarmType: '1', values: [{ metric: 'w00000_ala', code2017: 'w00000', value: 16 }] });
  });

  it('reads a 2081 restart: RestartTime, at the frame\'s DataTime', () => {
    const n = noticeOf('2081', parseCp('DataTime=20231008130452;RestartTime=20231007130452'), ZONE, 'a'.repeat(64), 0);
    expect(n).toEqual({ kind: 'boot', cn: '2081', frame: 'a'.repeat(64), at: Date.UTC(2023, 9, 8, 5, 4, 52), restartedAt: Date.UTC(2023, 9, 7, 5, 4, 52) });
  });

  it('takes the arrival time when a 2072 names no valid time', () => {
    expect(noticeOf('2072', parseCp('AlarmTime=2016;B01-Ala=1'), ZONE, 'b'.repeat(64), 1234)).toMatchObject({ at: 1234 });
  });

  it('gives one warning per alarmed pollutant, keyed per device and metric, with the frame as evidence', () => {
    const n = noticeOf('2072', parseCp('AlarmTime=20160823235559;011-Ala=120,060-Ala=9.5,AlarmType=1'), ZONE, 'c'.repeat(64), 0)!;
    const ts = alarmTransitions(device, n as Extract<typeof n, { kind: 'alarm' }>);
    expect(ts.map((t) => [t.key, t.severity, t.value, t.evidence?.[0]?.frame])).toEqual([
      ['hj212.logger-alarm|plant-01|logger-01|w01018_ala', 'warning', 120, 'c'.repeat(64)],
      ['hj212.logger-alarm|plant-01|logger-01|w21003_ala', 'warning', 9.5, 'c'.repeat(64)],
    ]);
  });

  it('makes nothing of other CNs', () => {
    expect(noticeOf('2011', parseCp('DataTime=20231008130452;w01018-Rtd=1'), ZONE, 'd'.repeat(64), 0)).toBeUndefined();
  });
});
