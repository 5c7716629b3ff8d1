import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadProfiles, parseDeviceXml, translate, type ProfileRoute } from '../../../gateway/src/profiles/index.js';

const shipped = loadProfiles('profiles');
const route = (profile: string, i = 0): ProfileRoute => shipped.get(profile)!.routes[i]!;
const fixture = (name: string) => readFileSync(`test/fixtures/sources/${name}`, 'utf8');
const never = () => false;

describe('the generic DTU tag/value profile', () => {
  it('maps tags to metrics, reads numbers sent as strings, scales, and reads Beijing time', () => {
    const t = translate(route('dtu-tagvalue'), JSON.parse(fixture('dtu-tagvalue.json')), never);
    expect(t).toEqual({ kind: 'payload', channel: 'telemetry', payload: { ts: Date.UTC(2026, 11, 1, 12, 15, 0), metrics: { gas_lel: 12.5, temperature: 31.2, pressure: 1.25 } } });
  });

  it('refuses a tag the profile does not map, naming it', () => {
    const t = translate(route('dtu-tagvalue'), { data: [{ tag: 'XX9', v: '1' }] }, never);
    expect(t).toEqual({ kind: 'error', detail: 'tag "XX9" is not mapped by the profile' });
  });

  it('refuses a value that is not a number', () => {
    const t = translate(route('dtu-tagvalue'), { data: [{ tag: 'TT101', v: 'n/a' }] }, never);
    expect(t.kind).toBe('error');
  });
});

describe('the Frigate profile', () => {
  const seq = JSON.parse(fixture('frigate-sequence.json')) as unknown[];

  it('drops the new message while Frigate still calls the object a false positive', () => {
    expect(translate(route('frigate'), seq[0], never)).toEqual({ kind: 'ignored', why: 'dropped' });
  });

  it('makes one detection from the first real update, with camera, score, box and zones', () => {
    const t = translate(route('frigate'), seq[1], never);
    expect(t).toEqual({
      kind: 'payload',
      channel: 'vision',
      onceKey: '1764620100.123456-k3v9qa',
      label: 'person',
      payload: { ts: 1764620100123, camera: 'tank_top', detections: [{ type: 'intrusion', confidence: 0.74, bbox: [400, 210, 80, 190], zones: ['bund_area'] }] },
    });
  });

  it('ignores later updates of an event that already counted, higher score or not', () => {
    const counted = (k: string) => k === '1764620100.123456-k3v9qa';
    expect(translate(route('frigate'), seq[2], counted)).toEqual({ kind: 'ignored', why: 'already_counted' });
    expect(translate(route('frigate'), seq[3], counted)).toEqual({ kind: 'ignored', why: 'already_counted' });
  });

  it('ignores a label the profile does not map', () => {
    const car = { type: 'new', after: { id: 'x', camera: 'gate', label: 'car', score: 0.9, top_score: 0.9, false_positive: false, start_time: 1 } };
    expect(translate(route('frigate'), car, never)).toEqual({ kind: 'ignored', why: 'label_not_mapped' });
  });

  it('maps availability to device status', () => {
    expect(translate(route('frigate', 1), 'online', never)).toEqual({ kind: 'payload', channel: 'status', payload: { online: true } });
    expect(translate(route('frigate', 1), 'offline', never)).toEqual({ kind: 'payload', channel: 'status', payload: { online: false } });
  });
});

describe('the Hikvision ISAPI profile', () => {
  const alert = (name: string) => (parseDeviceXml(fixture(name)) as unknown as { value: { EventNotificationAlert: unknown } }).value.EventNotificationAlert;

  it('maps a field detection on channel 2 to an intrusion on camera ch2 at its time', () => {
    expect(translate(route('hikvision-isapi'), alert('isapi-fielddetection.xml'), never)).toEqual({
      kind: 'payload',
      channel: 'vision',
      label: 'fielddetection',
      repeat: { key: 'intrusion|ch2', count: 1 },
      payload: { ts: Date.UTC(2026, 11, 1, 12, 15, 0), camera: 'ch2', detections: [{ type: 'intrusion', confidence: 1, zones: ['1'] }] },
    });
  });

  it('takes the real type of a duration alarm from relationEvent, and the IP camera channel from dynChannelID', () => {
    const t = translate(route('hikvision-isapi'), alert('isapi-duration.xml'), never);
    expect(t).toMatchObject({ kind: 'payload', payload: { camera: 'ch33', detections: [{ type: 'intrusion' }] } });
  });

  it('ignores a post that continues an alarm already counted (activePostCount going on)', () => {
    const going = (r: { key: string; count: number }) => r.key === 'intrusion|ch33' && r.count === 3;
    expect(translate(route('hikvision-isapi'), alert('isapi-duration.xml'), never, going)).toEqual({ kind: 'ignored', why: 'already_counted' });
  });

  it('ignores an inactive alert (the videoloss heartbeat)', () => {
    expect(translate(route('hikvision-isapi'), alert('isapi-heartbeat.xml'), never)).toEqual({ kind: 'ignored', why: 'dropped' });
  });

  it('maps the JSON form of an alert the same way', () => {
    expect(translate(route('hikvision-isapi'), JSON.parse(fixture('isapi-fire.json')), never)).toMatchObject({ kind: 'payload', payload: { camera: 'ch1', detections: [{ type: 'fire', confidence: 1 }] } });
  });
});
