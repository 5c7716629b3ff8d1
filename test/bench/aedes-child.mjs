// Baseline broker: bare aedes 1.2 on 127.0.0.1, no authentication, no hooks, TCP_NODELAY as the
// gateway sets it. Prints "aedes ready: MQTT on port N"; stops on SIGTERM. Same IPC GC and
// memory hooks as gateway-child.mjs, and plain JavaScript like it, so both are measured the
// same way.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { memoryReport } from './child-memory.mjs';

process.on('message', (m) => {
  if (m?.type === 'mem') return void process.send?.(memoryReport());
  if (m?.type !== 'gc') return;
  const g = globalThis.gc;
  g?.();
  g?.();
  const mem = process.memoryUsage();
  process.send?.({ type: 'gc', collected: g !== undefined, rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external });
});
process.channel?.unref();

const aedes = await Aedes.createBroker({ drainTimeout: 30_000, connectTimeout: 10_000 });
const server = createServer((socket) => {
  socket.setNoDelay(true);
  aedes.handle(socket);
});
await new Promise((res) => server.listen(0, '127.0.0.1', () => res()));
const address = server.address();
process.stdout.write(`aedes ready: MQTT on port ${typeof address === 'object' && address ? address.port : 0}\n`);

process.once('SIGTERM', () => {
  server.close();
  aedes.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
});
