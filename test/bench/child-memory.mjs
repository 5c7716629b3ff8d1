// The memory report both bench children (gateway-child.mjs, aedes-child.mjs) send on a `mem`
// request: RSS and V8's spaces as they are, with no GC first, so an idle process is seen as it
// sits when nobody forces a collection (V8's own memory reducer decides when new space shrinks).
import { getHeapSpaceStatistics } from 'node:v8';

export function memoryReport() {
  const mem = process.memoryUsage();
  const spaces = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = { committed: s.physical_space_size, used: s.space_used_size };
  return { type: 'mem', rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers, spaces };
}
