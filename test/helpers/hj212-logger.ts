// A data logger (数采仪) over real TCP for tests: sends frames, collects the gateway's replies.
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Framer, parsePacket, type Packet } from '../../gateway/src/hj212/index.js';

export class TestLogger {
  readonly replies: Packet[] = [];
  private framer = new Framer(4096);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const o of this.framer.push(chunk)) {
        if (o.type !== 'frame') continue;
        const p = parsePacket(o.frame.data.toString('latin1'));
        if (p.ok) this.replies.push(p.packet);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<TestLogger> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new TestLogger(s)));
      s.once('error', reject);
    });
  }

  /** Over TLS, trusting `ca` (the gateway's self-signed certificate). */
  static openTls(port: number, ca: Buffer, host = '127.0.0.1'): Promise<TestLogger> {
    return new Promise((resolve, reject) => {
      const s = connectTls({ port, host, ca, servername: 'localhost' }, () => resolve(new TestLogger(s)));
      s.once('error', reject);
    });
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  send(bytes: string | Buffer) {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Waits until `predicate` holds over the replies (or the socket closes), up to `ms`. */
  async until(predicate: (replies: Packet[]) => boolean, ms = 10_000): Promise<Packet[]> {
    const deadline = Date.now() + ms;
    while (!predicate(this.replies)) {
      if (this.closed) throw new Error(`connection closed; replies: ${this.replies.map((r) => r.cn).join(',')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; replies: ${this.replies.map((r) => `${r.cn}/${r.qn}`).join(',')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
    return this.replies;
  }

  async untilClosed(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('still open');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close() {
    this.socket.destroy();
  }
}

export const ackFor = (qn: string) => (replies: Packet[]) => replies.some((r) => r.cn === '9014' && r.qn === qn);
