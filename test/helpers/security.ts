import { expect } from 'vitest';
// Small probes shared by the security tests: counters from /metrics, the ports the gateway
// logged at start, raw TCP exchanges with the MQTT port, and how an MQTT connect attempt ended.
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import type { MqttClient } from 'mqtt';
import type { TestGateway } from './gateway.js';

/** The value of one counter sample in a Prometheus text page (0 when absent). */
export function sample(page: string, name: string, labels = ''): number {
  const escaped = labels.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^${name}${labels ? `\\{${escaped}\\}` : ''} (\\d+(?:\\.\\d+)?)$`, 'm').exec(page);
  return m ? Number(m[1]) : 0;
}

export async function counter(gw: TestGateway, name: string, labels = ''): Promise<number> {
  const res = await fetch(`${gw.httpUrl}/metrics`);
  return sample(await res.text(), name, labels);
}

/** The ports the gateway reported in its "gateway started" log line. */
export function startedPorts(gw: TestGateway): { mqttPort: number | null; mqttsPort: number | null; httpPort: number } {
  const line = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'gateway started');
  if (!line) throw new Error('no "gateway started" line in the log');
  return line as never;
}

export type Outcome = { connected: true } | { connected: false; error?: Error & { code?: number | string } };

/** Waits for the first of connect, error or close of a client made with reconnectPeriod 0. */
export function outcome(client: MqttClient, timeoutMs = 8000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no connect, error or close in time')), timeoutMs);
    const done = (o: Outcome) => {
      clearTimeout(timer);
      resolve(o);
    };
    client.once('connect', () => done({ connected: true }));
    client.once('error', (error) => done({ connected: false, error }));
    client.once('close', () => done({ connected: false }));
  });
}

/**
 * Opens a raw TCP connection, writes `bytes`, and resolves when the server closes it (true) or
 * after `timeoutMs` with it still open (false; the socket is then destroyed by us).
 */
export function closedByServer(port: number, bytes: Buffer, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** MQTT remaining-length encoding (MQTT-2.2.3). */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** A CONNECT packet (MQTT 3.1.1) with username and password, with a chosen protocol name. */
export function connectPacket(clientId: string, username: string, password: string, protocolName = 'MQTT'): Buffer {
  const variable = Buffer.concat([str(protocolName), Buffer.from([4, 0b1100_0010, 0, 30])]);
  const payload = Buffer.concat([str(clientId), str(username), str(password)]);
  const body = Buffer.concat([variable, payload]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** A QoS 0 PUBLISH packet. */
export function publishPacket(topic: string, payload: string): Buffer {
  const body = Buffer.concat([str(topic), Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([0x30]), remainingLength(body.length), body]);
}

/** The gateway still answers: /healthz is 200 and a device's reading is accepted. */
export async function stillServing(gw: TestGateway): Promise<void> {
  expect((await gw.api('/healthz', { token: null })).status).toBe(200);
  const before = await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"');
  const probe = await gw.connect('gas-02');
  await probe.publishAsync('sites/hb-chem-001/devices/gas-02/telemetry', JSON.stringify({ metrics: { temperature: 20 } }), { qos: 1 });
  await probe.endAsync();
  expect(await counter(gw, 'gateway_messages_accepted_total', 'channel="telemetry"')).toBe(before + 1);
}

/** Resident set size of a process, in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}
