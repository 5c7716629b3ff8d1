import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDeviceXml } from '../../../gateway/src/profiles/index.js';

const fixture = (name: string) => readFileSync(`test/fixtures/sources/${name}`, 'utf8');

describe('XML from devices', () => {
  it('parses an ISAPI alert, namespace and all, escaping the stray & Hikvision firmwares send', () => {
    const r = parseDeviceXml(fixture('isapi-fielddetection.xml'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const alert = r.value.EventNotificationAlert as Record<string, any>;
    expect(alert.eventType).toBe('fielddetection');
    expect(alert.channelID).toBe(2);
    expect(alert.eventDescription).toContain('alarm &amp; region 1');
    expect(alert.DetectionRegionList.DetectionRegionEntry.detectionTarget).toBe('human');
  });

  it('refuses an external entity (XXE) without reading anything', () => {
    const r = parseDeviceXml(fixture('xxe.xml'));
    expect(r).toMatchObject({ ok: false });
    expect((r as { detail: string }).detail).toMatch(/DOCTYPE/);
  });

  it('refuses entity expansion (billion laughs) at once', () => {
    const r = parseDeviceXml(fixture('billion-laughs.xml'));
    expect(r.ok).toBe(false);
    expect((r as { detail: string }).detail).toMatch(/no entity expansion/);
  });

  it('refuses malformed XML with the line of the problem', () => {
    const r = parseDeviceXml('<EventNotificationAlert><eventType>x</eventTyp></EventNotificationAlert>');
    expect(r.ok).toBe(false);
    expect((r as { detail: string }).detail).toMatch(/malformed XML: .*line 1/);
  });
});
