// Vendor messages as the devices send them, written from the vendors' public documentation:
// Frigate's MQTT events, Hikvision ISAPI EventNotificationAlert, a DTU's tag/value JSON.

export interface FrigateObject {
  id: string;
  camera: string;
  label: string;
  score: number;
  top_score: number;
  false_positive: boolean;
  start_time: number;
  end_time: number | null;
  box: [number, number, number, number];
  current_zones: string[];
  entered_zones: string[];
  has_snapshot: boolean;
  has_clip: boolean;
}

/** One Frigate event from first sight to end: new (still a false positive), two updates, end. */
export function frigateSequence(o: { id: string; camera: string; label: string; startS: number; box: [number, number, number, number]; zones: string[] }): string[] {
  const obj = (patch: Partial<FrigateObject>): Record<string, unknown> => ({
    id: o.id,
    camera: o.camera,
    frame_time: o.startS,
    label: o.label,
    sub_label: null,
    score: 0.55,
    top_score: 0.55,
    false_positive: true,
    start_time: o.startS,
    end_time: null,
    box: o.box,
    area: o.box[2] * o.box[3],
    current_zones: [],
    entered_zones: [],
    has_snapshot: false,
    has_clip: false,
    attributes: {},
    ...patch,
  });
  const seen = obj({ score: 0.81, top_score: 0.77, false_positive: false, current_zones: o.zones, entered_zones: o.zones, has_snapshot: true });
  const better = obj({ score: 0.9, top_score: 0.86, false_positive: false, current_zones: o.zones, entered_zones: o.zones, has_snapshot: true });
  const ended = obj({ score: 0.62, top_score: 0.86, false_positive: false, end_time: o.startS + 20, entered_zones: o.zones, has_snapshot: true, has_clip: true });
  return [
    { type: 'new', before: obj({}), after: obj({}) },
    { type: 'update', before: obj({}), after: seen },
    { type: 'update', before: seen, after: better },
    { type: 'end', before: better, after: ended },
  ].map((m) => JSON.stringify(m));
}

/** ISAPI time: ISO 8601 in Beijing time with its offset, as the devices write it. */
export function isapiTime(t: number): string {
  return new Date(t + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00';
}

export function isapiAlert(o: { channel: number; eventType: string; at: number; state?: 'active' | 'inactive'; postCount?: number }): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<ipAddress>192.168.1.64</ipAddress>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<channelID>${o.channel}</channelID>
<dateTime>${isapiTime(o.at)}</dateTime>
<activePostCount>${o.postCount ?? 1}</activePostCount>
<eventType>${o.eventType}</eventType>
<eventState>${o.state ?? 'active'}</eventState>
<eventDescription>${o.eventType} alarm</eventDescription>
<DetectionRegionList><DetectionRegionEntry><regionID>1</regionID><detectionTarget>human</detectionTarget></DetectionRegionEntry></DetectionRegionList>
</EventNotificationAlert>
`;
}

/** Beijing wall-clock time, `YYYY-MM-DD HH:mm:ss`, as DTUs send it. */
export function dtuTime(t: number): string {
  return new Date(t + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

export function dtuMessage(o: { sn: string; at: number; points: Record<string, number> }): string {
  return JSON.stringify({ sn: o.sn, time: dtuTime(o.at), data: Object.entries(o.points).map(([tag, v]) => ({ tag, v: v.toFixed(2) })) });
}
