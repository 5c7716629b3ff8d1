import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../gateway/src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults when nothing is set', () => {
    expect(loadConfig({})).toMatchObject({ GATEWAY_MQTT_PORT: 1883, GATEWAY_HTTP_PORT: 8080, GATEWAY_HOST: '0.0.0.0', GATEWAY_DATA_DIR: './data', GATEWAY_RULES_DIR: './rules', GATEWAY_MAX_CLOCK_SKEW: 300_000 });
  });

  it('names every bad variable with its reason', () => {
    try {
      loadConfig({ GATEWAY_MQTT_PORT: '70000', INFLUX_URL: 'ftp://x', GATEWAY_MAX_CLOCK_SKEW: 'soon' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain('GATEWAY_MQTT_PORT');
      expect(msg).toContain('INFLUX_URL: must be an http(s) URL');
      expect(msg).toContain('GATEWAY_MAX_CLOCK_SKEW: must be a duration');
    }
  });

  it('treats an empty INFLUX_URL as unset', () => {
    expect(loadConfig({ INFLUX_URL: '' }).INFLUX_URL).toBeUndefined();
  });

  it('allows buffered readings seven days back by default', () => {
    expect(loadConfig({}).GATEWAY_MAX_BACKFILL).toBe(7 * 86_400_000);
  });

  it('reads a backfill window given in days', () => {
    expect(loadConfig({ GATEWAY_MAX_BACKFILL: '30d' }).GATEWAY_MAX_BACKFILL).toBe(30 * 86_400_000);
  });

  it('refuses a backfill window shorter than the clock skew', () => {
    expect(() => loadConfig({ GATEWAY_MAX_BACKFILL: '1m', GATEWAY_MAX_CLOCK_SKEW: '5m' })).toThrow(/GATEWAY_MAX_BACKFILL: must be at least GATEWAY_MAX_CLOCK_SKEW/);
  });

  it('refuses an API token shorter than 16 characters', () => {
    expect(() => loadConfig({ GATEWAY_API_TOKEN: 'short' })).toThrow(/GATEWAY_API_TOKEN: must be at least 16/);
  });
});
