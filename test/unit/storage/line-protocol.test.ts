import { describe, expect, it } from 'vitest';
import {
  detectionLines,
  escapeMeasurement,
  escapeName,
  eventLine,
  nanos,
  quoteString,
  telemetryLine,
  telemetryLines,
  type DetectionInput,
  type TelemetryReading,
} from '../../../gateway/src/storage/influx/index.js';

const TS = 1_764_000_000_123;

function reading(metric: string, value: number, extra: Partial<TelemetryReading> = {}): TelemetryReading {
  return { site: 'site-1', device: 'tank.7', sector: 'hazardous_chemicals', metric, value, ts: TS, skewed: false, valid: true, ...extra };
}

function detection(extra: Partial<DetectionInput> = {}): DetectionInput {
  return { site: 'site-1', device: 'nvr-1', camera: 'cam_2', type: 'no_helmet', confidence: 0.87, ts: TS, ...extra };
}

describe('escaping', () => {
  it('leaves plain ids untouched', () => {
    expect(escapeName('tank.7-A_b')).toBe('tank.7-A_b');
    expect(escapeMeasurement('telemetry')).toBe('telemetry');
  });

  it('escapes comma, equals sign and space in tag keys, tag values and field keys', () => {
    expect(escapeName('a,b=c d')).toBe('a\\,b\\=c\\ d');
  });

  it('escapes comma and space but not the equals sign in a measurement', () => {
    expect(escapeMeasurement('a,b=c d')).toBe('a\\,b=c\\ d');
  });

  it('writes newline and carriage return as \\n and \\r so a line stays one line', () => {
    expect(escapeName('a\nb\rc')).toBe('a\\nb\\rc');
    expect(quoteString('one\ntwo\r')).toBe('"one\\ntwo\\r"');
  });

  it('writes a backslash in a name as a slash, which 1.x cannot misread as an escape', () => {
    expect(escapeName('dir\\')).toBe('dir/');
    expect(escapeName('a\\,b')).toBe('a/\\,b');
    expect(escapeMeasurement('m\\')).toBe('m/');
  });

  it('escapes double quote and backslash in string fields', () => {
    expect(quoteString('say "hi" \\o/')).toBe('"say \\"hi\\" \\\\o/"');
    expect(quoteString('plain, with = and spaces')).toBe('"plain, with = and spaces"');
  });

  it('writes millisecond times as exact nanoseconds, with an optional nanosecond offset', () => {
    expect(nanos(TS)).toBe('1764000000123000000');
    expect(nanos(TS, 2)).toBe('1764000000123000002');
    expect(nanos(0)).toBe('0000000');
  });
});

describe('telemetryLine', () => {
  it('writes the readings of one message as one point with a field per metric', () => {
    expect(telemetryLine([reading('level', 71.5), reading('pressure', 0.42), reading('temperature', 21)])).toBe(
      'telemetry,site=site-1,device=tank.7,sector=hazardous_chemicals level=71.5,pressure=0.42,temperature=21 1764000000123000000',
    );
  });

  it('stores invalid values under their metric and lists them in a flags string field', () => {
    expect(telemetryLine([reading('gas_lel', 3, { valid: false, flag: 'D' }), reading('level', 50), reading('toxic_ppm', 1, { valid: false })])).toBe(
      'telemetry,site=site-1,device=tank.7,sector=hazardous_chemicals gas_lel=3,level=50,toxic_ppm=1,flags="gas_lel:D toxic_ppm:invalid" 1764000000123000000',
    );
  });

  it('marks a message whose own timestamp was not usable with skewed=true', () => {
    expect(telemetryLine([reading('level', 1, { skewed: true }), reading('pressure', 2, { skewed: true })])).toBe(
      'telemetry,site=site-1,device=tank.7,sector=hazardous_chemicals level=1,pressure=2,skewed=true 1764000000123000000',
    );
  });

  it('marks a message stored at its own time older than the skew window with late=true', () => {
    expect(telemetryLine([reading('level', 1, { late: true })])).toBe('telemetry,site=site-1,device=tank.7,sector=hazardous_chemicals level=1,late=true 1764000000123000000');
  });

  it('writes the nanosecond offset it is given after the millisecond', () => {
    expect(telemetryLine([reading('level', 1)], 3)).toBe('telemetry,site=site-1,device=tank.7,sector=hazardous_chemicals level=1 1764000000123000003');
  });

  it('leaves out a metric named late, which would clash with the mark', () => {
    expect(telemetryLine([reading('late', 1), reading('level', 2)])).toBe('telemetry,site=site-1,device=tank.7,sector=hazardous_chemicals level=2,flags="late:reserved" 1764000000123000000');
  });

  it('leaves out non-finite values and metrics named like its own fields, listing them in flags', () => {
    expect(telemetryLine([reading('level', Number.NaN), reading('flags', 1), reading('cod', -0.5)])).toBe(
      'telemetry,site=site-1,device=tank.7,sector=hazardous_chemicals cod=-0.5,flags="level:nonfinite flags:reserved" 1764000000123000000',
    );
  });

  it('writes large and tiny numbers in a form InfluxDB parses as floats', () => {
    expect(telemetryLine([reading('flow', 1e21), reading('nox', 1e-7)])).toContain(' flow=1e+21,nox=1e-7 ');
  });

  it('escapes tag values that are not ids', () => {
    expect(telemetryLine([reading('level', 1, { site: 'north site,A', device: 'x=y' })])).toBe(
      'telemetry,site=north\\ site\\,A,device=x\\=y,sector=hazardous_chemicals level=1 1764000000123000000',
    );
  });

  it('refuses readings that do not belong to one message', () => {
    expect(() => telemetryLine([])).toThrow(RangeError);
    expect(() => telemetryLine([reading('level', 1), reading('pressure', 2, { ts: TS + 1 })])).toThrow(RangeError);
    expect(() => telemetryLine([reading('level', 1), reading('pressure', 2, { device: 'other' })])).toThrow(RangeError);
  });

  it('groups the readings of several messages into one line each, in first-seen order', () => {
    expect(
      telemetryLines([reading('level', 1), reading('level', 2, { device: 'tank.8' }), reading('pressure', 3), reading('level', 4, { ts: TS + 1000 })]),
    ).toEqual([
      'telemetry,site=site-1,device=tank.7,sector=hazardous_chemicals level=1,pressure=3 1764000000123000000',
      'telemetry,site=site-1,device=tank.8,sector=hazardous_chemicals level=2 1764000000123000000',
      'telemetry,site=site-1,device=tank.7,sector=hazardous_chemicals level=4 1764000001123000000',
    ]);
  });
});

describe('detectionLines', () => {
  it('writes one point per detection with confidence and an optional snapshot', () => {
    expect(detectionLines([detection(), detection({ camera: 'cam_3', type: 'smoking', confidence: 0.5, snapshot: 'snap/2025/a b.jpg' })])).toEqual([
      'detection,site=site-1,device=nvr-1,camera=cam_2,type=no_helmet confidence=0.87 1764000000123000000',
      'detection,site=site-1,device=nvr-1,camera=cam_3,type=smoking confidence=0.5,snapshot="snap/2025/a b.jpg" 1764000000123000000',
    ]);
  });

  it('keeps two detections of the same camera, type and millisecond apart by nanosecond offsets', () => {
    const batch = [detection({ confidence: 0.9 }), detection({ type: 'smoking' }), detection({ confidence: 0.8 }), detection({ confidence: 0.7 })];
    const lines = detectionLines(batch);
    expect(lines.map((l) => l.split(' ').at(-1))).toEqual([
      '1764000000123000000',
      '1764000000123000000',
      '1764000000123000001',
      '1764000000123000002',
    ]);
    expect(detectionLines(batch)).toEqual(lines); // a replay writes the identical points
  });
});

describe('eventLine', () => {
  const base = {
    eventId: 'ev-01J',
    site: 'site-1',
    device: 'tank.7',
    rule: 'lel-high',
    item: 'gas_leak',
    severity: 'critical' as const,
    transition: 'open',
    value: 27.5,
    threshold: 25,
    message: 'LEL 27.5 % above 25 %',
    at: TS,
    raisedAt: TS,
    detectedAt: TS,
    late: false,
  };

  it('writes the transition with its id, value, threshold, message and both times', () => {
    expect(eventLine(base)).toBe(
      'event,site=site-1,device=tank.7,rule=lel-high,item=gas_leak,severity=critical,transition=open ' +
        'event_id="ev-01J",value=27.5,threshold=25,message="LEL 27.5 % above 25 %",raised_at=1764000000123i,detected_at=1764000000123i 1764000000123000000',
    );
  });

  it('leaves out a null threshold and escapes the message', () => {
    expect(eventLine({ ...base, threshold: null, message: 'operator said "ok"\nline two \\ end' })).toBe(
      'event,site=site-1,device=tank.7,rule=lel-high,item=gas_leak,severity=critical,transition=open ' +
        'event_id="ev-01J",value=27.5,message="operator said \\"ok\\"\\nline two \\\\ end",raised_at=1764000000123i,detected_at=1764000000123i 1764000000123000000',
    );
  });

  it('marks an event raised from late data with late=true and its detection time on the gateway clock', () => {
    const line = eventLine({ ...base, detectedAt: TS + 7_200_000, late: true });
    expect(line).toContain(',raised_at=1764000000123i,detected_at=1764007200123i,late=true 1764000000123000000');
  });
});
