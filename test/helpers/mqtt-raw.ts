// MQTT 3.1.1 spoken byte by byte over a real TCP socket, for tests where a client library would
// refuse to send the packet, fix it up, or hide the broker's answer. Packets are built here by
// hand (so they can be wrong on purpose); answers are decoded with mqtt-packet's parser.
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

/** A 2-byte length and the bytes of a string (a Buffer is sent as given, even if not UTF-8). */
export function str(s: string | Buffer): Buffer {
  const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** A packet from its first byte and body: the remaining length is computed. */
export function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};

export interface ConnectFields {
  clientId: string | Buffer;
  username?: string;
  password?: string;
  clean?: boolean;
  keepalive?: number;
  /** Protocol level: 4 is MQTT 3.1.1. */
  level?: number;
  protocolName?: string;
  will?: { topic: string | Buffer; payload: string; qos?: number; retain?: boolean };
}

export function connect(f: ConnectFields): Buffer {
  let flags = 0;
  if (f.clean ?? true) flags |= 0x02;
  if (f.will) flags |= 0x04 | ((f.will.qos ?? 0) << 3) | (f.will.retain ? 0x20 : 0);
  if (f.password !== undefined) flags |= 0x40;
  if (f.username !== undefined) flags |= 0x80;
  // MQTT 5 adds (empty) property lists after the keepalive and before the will.
  const v5 = f.level === 5 ? [Buffer.from([0])] : [];
  const parts = [str(f.protocolName ?? 'MQTT'), Buffer.from([f.level ?? 4, flags]), u16(f.keepalive ?? 30), ...v5, str(f.clientId)];
  if (f.will) parts.push(...v5, str(f.will.topic), str(f.will.payload));
  if (f.username !== undefined) parts.push(str(f.username));
  if (f.password !== undefined) parts.push(str(f.password));
  return packet(0x10, Buffer.concat(parts));
}

export interface PublishFields {
  topic: string | Buffer;
  payload: string | Buffer;
  /** 0-3: 3 is invalid on purpose. */
  qos?: number;
  id?: number;
  dup?: boolean;
  retain?: boolean;
}

export function publish(f: PublishFields): Buffer {
  const qos = f.qos ?? 0;
  const first = 0x30 | (f.dup ? 0x08 : 0) | (qos << 1) | (f.retain ? 0x01 : 0);
  const id = qos > 0 ? u16(f.id ?? 1) : Buffer.alloc(0);
  return packet(first, Buffer.concat([str(f.topic), id, Buffer.from(f.payload)]));
}

export const pubrel = (id: number) => packet(0x62, u16(id));
export const puback = (id: number) => packet(0x40, u16(id));
export const disconnect = () => Buffer.from([0xe0, 0x00]);

export function subscribe(id: number, subs: Array<[string | Buffer, number]>): Buffer {
  return packet(0x82, Buffer.concat([u16(id), ...subs.map(([t, q]) => Buffer.concat([str(t), Buffer.from([q])]))]));
}

/** A raw connection: send bytes, await decoded packets in arrival order, see whether it closed. */
export class RawMqtt {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly waiters: Array<() => void> = [];
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  readonly whenClosed: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.parser.on('packet', (p: Packet) => {
      this.packets.push(p);
      this.wake();
    });
    socket.on('data', (chunk) => this.parser.parse(chunk));
    socket.on('error', () => undefined);
    this.whenClosed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawMqtt> {
    return new Promise((resolve, reject) => {
      const s = netConnect(port, host);
      s.setNoDelay(true);
      s.once('connect', () => resolve(new RawMqtt(s)));
      s.once('error', reject);
    });
  }

  /** Opens a connection, sends CONNECT and waits for the CONNACK (return code 0 expected). */
  static async login(port: number, f: ConnectFields): Promise<RawMqtt> {
    const c = await RawMqtt.open(port);
    c.send(connect(f));
    const ack = await c.next();
    if (ack.cmd !== 'connack' || ack.returnCode !== 0) throw new Error(`login of ${String(f.clientId)} refused: ${JSON.stringify(ack)}`);
    return c;
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(...bytes: Buffer[]): void {
    this.socket.write(Buffer.concat(bytes));
  }

  private read = 0;

  /** The next packet not yet returned by next(); rejects if the connection closes first or after `timeoutMs`. */
  async next(timeoutMs = 10_000): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    while (this.read >= this.packets.length) {
      if (this.closed) throw new Error(`connection closed; packets so far: ${this.packets.map((p) => p.cmd).join(', ') || 'none'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no packet within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return this.packets[this.read++]!;
  }

  /** Resolves true once the server closed the connection, false if still open after `timeoutMs`. */
  async closedWithin(timeoutMs = 5000): Promise<boolean> {
    if (this.closed) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const r = await Promise.race([this.whenClosed.then(() => true as const), timeout]);
    clearTimeout(timer);
    return r;
  }

  end(): void {
    this.socket.destroy();
  }
}
