import { describe, expect, it } from 'vitest';
import { parseTopic } from '../../../gateway/src/protocol/index.js';

describe('parseTopic', () => {
  it('reads site, device and channel from a telemetry topic', () => {
    expect(parseTopic('sites/hb-chem-001/devices/gas-01/telemetry')).toEqual({ site: 'hb-chem-001', device: 'gas-01', channel: 'telemetry' });
  });

  it('accepts the vision and status channels', () => {
    expect(parseTopic('sites/s1/devices/cam-01/vision')?.channel).toBe('vision');
    expect(parseTopic('sites/s1/devices/cam-01/status')?.channel).toBe('status');
  });

  it('refuses an unknown channel', () => {
    expect(parseTopic('sites/s1/devices/d1/firmware')).toBeNull();
  });

  it('refuses a topic with extra or missing levels', () => {
    expect(parseTopic('sites/s1/devices/d1/telemetry/extra')).toBeNull();
    expect(parseTopic('sites/s1/devices/telemetry')).toBeNull();
  });

  it('refuses ids with characters outside the id pattern', () => {
    expect(parseTopic('sites/s 1/devices/d1/telemetry')).toBeNull();
    expect(parseTopic('sites/../devices/d1/telemetry')).toBeNull();
    expect(parseTopic('sites/s1/devices/d,1=x/telemetry')).toBeNull();
  });
});
