import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { apiOfVersion, detectInfluxApi, InfluxError, v1WritePath } from '../../../gateway/src/storage/influx/index.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('apiOfVersion', () => {
  it('reads 1.x as v1 and 2.x or 3.x as v2', () => {
    expect(apiOfVersion('1.6.7~rc0')).toBe('v1');
    expect(apiOfVersion('1.8.10')).toBe('v1');
    expect(apiOfVersion('v2.7.10')).toBe('v2');
    expect(apiOfVersion('2.0.0-beta.16')).toBe('v2');
    expect(apiOfVersion('3.0.1')).toBe('v2');
  });

  it('does not guess from a version it cannot read', () => {
    expect(apiOfVersion('')).toBeUndefined();
    expect(apiOfVersion('OSS')).toBeUndefined();
    expect(apiOfVersion('0.13.0')).toBeUndefined();
  });
});

describe('detectInfluxApi', () => {
  it('takes an explicit override without asking the server', async () => {
    expect(await detectInfluxApi('http://127.0.0.1:1', 'v2')).toBe('v2');
  });

  it('says the server is unreachable, without credentials from the URL', async () => {
    const port = await closedPort();
    const err = await detectInfluxApi(`http://admin:secret@127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfluxError);
    expect((err as InfluxError).code).toBe('GW_INFLUX_UNREACHABLE');
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).not.toContain('secret');
  });
});

describe('v1WritePath', () => {
  it('addresses the 1.x /write endpoint with database, retention policy and ns precision', () => {
    expect(v1WritePath({ url: 'http://x', api: 'v1', database: 'super vision', retentionPolicy: 'one_year' })).toBe(
      '/write?db=super%20vision&rp=one_year&precision=ns',
    );
    expect(v1WritePath({ url: 'http://x', api: 'v1', database: 'db' })).toBe('/write?db=db&precision=ns');
  });
});
