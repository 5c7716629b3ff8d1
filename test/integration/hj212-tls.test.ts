import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocalTime, formatPacket, frame } from '../../gateway/src/hj212/index.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ackFor, TestLogger } from '../helpers/hj212-logger.js';

// HJ 212 over TLS (GATEWAY_HJ212_TLS_PORT), with the certificate the MQTTS listener uses.
let certs: TestCerts;
let gw: TestGateway;

beforeAll(async () => {
  certs = makeTestCerts();
  const registry = { sites: [{ id: 'plant', name: 'Plant', sector: 'pollution_source', devices: [{ id: 'tls-01', protocol: 'hj212', hj212: { mn: 'MNTLS001', password: 'PWTLS1' } }] }] };
  gw = await startTestGateway({ GATEWAY_HJ212_TLS_PORT: '0', GATEWAY_TLS_CERT: certs.serverCert, GATEWAY_TLS_KEY: certs.serverKey }, registry);
});
afterAll(async () => {
  await gw?.stop();
  certs?.remove();
});

describe('HJ 212 over TLS', () => {
  it('logs a logger in over TLS and answers 9014', async () => {
    expect(gw.hj212Port).toBeNull();
    const l = await TestLogger.openTls(gw.hj212TlsPort!, certs.serverCertPem);
    const qn = '20261201120000001';
    l.send(frame(formatPacket({ qn, st: '32', cn: '2011', pw: 'PWTLS1', mn: 'MNTLS001', flag: { value: 5, ack: true, split: false, versionBits: 1, version: '2017' }, cp: `DataTime=${formatLocalTime(Date.now(), 'Asia/Shanghai')};w01018-Rtd=12` })));
    await l.until(ackFor(qn));
    l.close();
  });
});
