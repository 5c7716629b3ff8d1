// The gateway as the bench runs it: what `npm start` runs (dist/gateway/src/main.js, compiled
// by scripts/run.mjs --build before the bench starts), unchanged, in a process of its own, plus
// IPC hooks: a full GC and the heap figures before the bench reads the RSS (started with
// --expose-gc); memory as it is, without a GC (idle-memory.ts); a heap snapshot written where
// the bench asks (to see what a connection holds); and the event loop's delay histogram so the
// latency tail can be explained.
// Plain JavaScript, so no TypeScript loader sits in the memory being measured.
// BENCH_GATEWAY_MAIN names another entry (the bench's --tsx runs gateway/src/main.ts with tsx).
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { memoryReport } from './child-memory.mjs';

let loop;
let gc = { count: 0, totalMs: 0, maxMs: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++;
    gc.totalMs += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
  }
});
process.on('message', (m) => {
  if (m?.type === 'gc') {
    const g = globalThis.gc;
    g?.();
    g?.();
    const mem = process.memoryUsage();
    process.send?.({ type: 'gc', collected: g !== undefined, rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external });
  } else if (m?.type === 'mem') {
    process.send?.(memoryReport());
  } else if (m?.type === 'snapshot') {
    process.send?.({ type: 'snapshot', path: writeHeapSnapshot(m.path) });
  } else if (m?.type === 'loop-start') {
    loop?.disable();
    loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    gc = { count: 0, totalMs: 0, maxMs: 0 };
    gcObserver.observe({ entryTypes: ['gc'] });
    process.send?.({ type: 'loop-started' });
  } else if (m?.type === 'loop-stop') {
    loop?.disable();
    gcObserver.disconnect();
    const ms = (ns) => Math.round((ns / 1e6) * 100) / 100;
    const h = loop;
    process.send?.({
      type: 'loop',
      p50: h ? ms(h.percentile(50)) : 0,
      p99: h ? ms(h.percentile(99)) : 0,
      p999: h ? ms(h.percentile(99.9)) : 0,
      max: h ? ms(h.max) : 0,
      gcCount: gc.count,
      gcTotalMs: Math.round(gc.totalMs * 10) / 10,
      gcMaxMs: Math.round(gc.maxMs * 100) / 100,
    });
  }
});
// The IPC channel must not keep the process alive once main has stopped the gateway.
process.channel?.unref();

await import(pathToFileURL(resolve(process.env.BENCH_GATEWAY_MAIN ?? 'dist/gateway/src/main.js')).href);
