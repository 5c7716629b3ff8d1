// Encrypted and alternative transports: MQTT over TLS, mutual TLS with CN = device id,
// HTTPS, MQTT over WebSocket, and a gateway with the plain MQTT listener switched off.
import { request } from 'node:https';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { counter, outcome, sample, startedPorts } from '../helpers/security.js';

const TOPIC = 'sites/hb-chem-001/devices/gas-01/telemetry';
const reading = (v: number) => JSON.stringify({ metrics: { temperature: v } });

let certs: TestCerts;
const clients: MqttClient[] = [];

function mqttClient(url: string, device: string, secret: string, extra: IClientOptions = {}): MqttClient {
  const c = mqtt.connect(url, { clientId: device, username: device, password: secret, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
  clients.push(c);
  return c;
}

/** GET over HTTPS trusting only the test's self-signed certificate. */
function httpsGet(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', ca: certs.serverCertPem, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(() => {
  certs = makeTestCerts();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  certs?.remove();
});

describe('a gateway with a server certificate (TLS, no client certificates)', () => {
  let gw: TestGateway;
  let ports: ReturnType<typeof startedPorts>;

  beforeAll(async () => {
    gw = await startTestGateway({ GATEWAY_MQTTS_PORT: '0', GATEWAY_TLS_CERT: certs.serverCert, GATEWAY_TLS_KEY: certs.serverKey });
    ports = startedPorts(gw);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('accepts the reading of a device that connects over mqtts trusting the certificate', async () => {
    const before = sample((await httpsGet(ports.httpPort, '/metrics')).text, 'gateway_messages_accepted_total', 'channel="telemetry"');
    const dev = mqttClient(`mqtts://127.0.0.1:${ports.mqttsPort}`, 'gas-01', 'gas-01-secret', { ca: certs.serverCertPem });
    expect(await outcome(dev)).toEqual({ connected: true });
    await dev.publishAsync(TOPIC, reading(21), { qos: 1 });
    const after = sample((await httpsGet(ports.httpPort, '/metrics')).text, 'gateway_messages_accepted_total', 'channel="telemetry"');
    expect(after).toBe(before + 1);
    await dev.endAsync();
  });

  it('answers /healthz over HTTPS with the same certificate', async () => {
    const res = await httpsGet(ports.httpPort, '/healthz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'ok' });
  });

  it('serves no plain HTTP on the HTTPS port', async () => {
    await expect(fetch(`${gw.httpUrl}/healthz`).then((r) => r.status)).rejects.toThrow();
  });
});

describe('a gateway with client certificates required (mutual TLS) and the plain MQTT listener off', () => {
  let gw: TestGateway;
  let ports: ReturnType<typeof startedPorts>;
  let url: string;

  beforeAll(async () => {
    gw = await startTestGateway({
      GATEWAY_MQTT_PORT: 'off',
      GATEWAY_MQTTS_PORT: '0',
      GATEWAY_TLS_CERT: certs.serverCert,
      GATEWAY_TLS_KEY: certs.serverKey,
      GATEWAY_TLS_CA: certs.clientCa,
      GATEWAY_HTTPS: 'off',
    });
    ports = startedPorts(gw);
    url = `mqtts://127.0.0.1:${ports.mqttsPort}`;
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('starts with only the TLS listener for MQTT', () => {
    expect(ports.mqttPort).toBeNull();
    expect(ports.mqttsPort).toBeGreaterThan(0);
  });

  it('refuses a client that presents no certificate, during the TLS handshake', async () => {
    const before = await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="tls"');
    const dev = mqttClient(url, 'gas-01', 'gas-01-secret', { ca: certs.serverCertPem });
    expect((await outcome(dev)).connected).toBe(false);
    await eventually(async () => (await counter(gw, 'gateway_mqtt_protocol_errors_total', 'reason="tls"')) === before + 1, 5000, 'the tls counter');
  });

  it('refuses a client whose certificate CN is another device, as cert_mismatch', async () => {
    const before = await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="cert_mismatch"');
    const dev = mqttClient(url, 'gas-01', 'gas-01-secret', { ca: certs.serverCertPem, ...certs.client('gas-02') });
    const o = await outcome(dev);
    expect(o).toMatchObject({ connected: false, error: { code: 5 } });
    expect(await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="cert_mismatch"')).toBe(before + 1);
  });

  it('accepts the reading of a device whose certificate CN is its id', async () => {
    const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"');
    const dev = mqttClient(url, 'gas-01', 'gas-01-secret', { ca: certs.serverCertPem, ...certs.client('gas-01') });
    expect(await outcome(dev)).toEqual({ connected: true });
    await dev.publishAsync(TOPIC, reading(22), { qos: 1 });
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"')).toBe(before + 1);
    await dev.endAsync();
  });

  it('still asks for the device secret when the certificate is right', async () => {
    const dev = mqttClient(url, 'gas-01', 'not-the-secret', { ca: certs.serverCertPem, ...certs.client('gas-01') });
    expect(await outcome(dev)).toMatchObject({ connected: false, error: { code: 4 } });
  });

  it('refuses a device that logs in over WebSocket with its secret alone, as cert_required', async () => {
    const before = await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="cert_required"');
    const dev = mqttClient(`ws://127.0.0.1:${ports.httpPort}/mqtt`, 'gas-01', 'gas-01-secret');
    expect(await outcome(dev)).toMatchObject({ connected: false, error: { code: 5 } });
    expect(await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="cert_required"')).toBe(before + 1);
  });

  it('refuses a wrong secret over WebSocket as over TCP', async () => {
    const before = await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="bad_secret"');
    const dev = mqttClient(`ws://127.0.0.1:${ports.httpPort}/mqtt`, 'gas-01', 'not-the-secret');
    expect(await outcome(dev)).toMatchObject({ connected: false, error: { code: 4 } });
    expect(await counter(gw, 'gateway_mqtt_auth_failures_total', 'reason="bad_secret"')).toBe(before + 1);
  });

  it('refuses a WebSocket upgrade on any other path', async () => {
    const dev = mqttClient(`ws://127.0.0.1:${ports.httpPort}/not-mqtt`, 'gas-01', 'gas-01-secret');
    expect((await outcome(dev)).connected).toBe(false);
  });
});

describe('MQTT over WebSocket on a gateway without TLS', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('accepts the reading of a device over MQTT over WebSocket at /mqtt', async () => {
    const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"');
    const dev = mqttClient(`${gw.httpUrl.replace('http', 'ws')}/mqtt`, 'gas-01', 'gas-01-secret');
    expect(await outcome(dev)).toEqual({ connected: true });
    await dev.publishAsync(TOPIC, reading(23), { qos: 1 });
    expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"')).toBe(before + 1);
    await dev.endAsync();
  });
});
