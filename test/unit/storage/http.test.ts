import { describe, expect, it } from 'vitest';
import { authHeader, baseUrl, isLoopback, redactUrl, targetDatabase } from '../../../gateway/src/storage/influx/http.js';
import { InfluxError } from '../../../gateway/src/storage/influx/index.js';

describe('connection helpers', () => {
  it('builds requests on the URL without credentials or a trailing slash', () => {
    expect(baseUrl('http://u:p@db.local:8086/')).toBe('http://db.local:8086');
    expect(baseUrl('http://db.local:8086/influx/')).toBe('http://db.local:8086/influx');
  });

  it('shows URLs in logs without user info or query string', () => {
    expect(redactUrl('https://admin:s3cret@db.local:8086/x?u=a&p=b')).toBe('https://db.local:8086/x');
  });

  it('authenticates 1.x with Basic, from the settings or the URL, and 2.x with its token', () => {
    expect(authHeader({ url: 'http://h', api: 'v1', username: 'gw', password: 'pw' })).toBe(`Basic ${Buffer.from('gw:pw').toString('base64')}`);
    expect(authHeader({ url: 'http://gw:p%40ss@h', api: 'v1' })).toBe(`Basic ${Buffer.from('gw:p@ss').toString('base64')}`);
    expect(authHeader({ url: 'http://h', api: 'v2', token: 'tok' })).toBe('Token tok');
    expect(authHeader({ url: 'http://h', api: 'v1' })).toBeUndefined();
  });

  it('addresses the bucket on 2.x and the database on 1.x, and says which is missing', () => {
    expect(targetDatabase({ url: 'http://h', api: 'v2', bucket: 'b', database: 'd' })).toBe('b');
    expect(targetDatabase({ url: 'http://h', api: 'v1', bucket: 'b', database: 'd' })).toBe('d');
    expect(() => targetDatabase({ url: 'http://h', api: 'v2' })).toThrow(InfluxError);
  });

  it('tells an InfluxDB on this machine from one elsewhere', () => {
    for (const url of ['http://127.0.0.1:8086', 'http://127.0.0.53:1', 'http://localhost:8086', 'http://[::1]:8086', 'http://u:p@127.0.0.1:8086/x']) expect(isLoopback(url)).toBe(true);
    for (const url of ['http://db.local:8086', 'http://10.0.0.5:8086', 'http://128.0.0.1:8086', 'not a url']) expect(isLoopback(url)).toBe(false);
  });
});
