// The gateway as the bench runs it: gateway/src/main.ts unchanged, in a process of its own,
// plus an IPC hook so the bench can ask for a full GC and the heap figures before it reads
// the RSS (started with --expose-gc). Everything else comes from the environment as usual.
process.on('message', (m: { type?: string }) => {
  if (m?.type !== 'gc') return;
  const g = (globalThis as { gc?: () => void }).gc;
  g?.();
  g?.();
  const mem = process.memoryUsage();
  process.send?.({ type: 'gc', collected: g !== undefined, rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external });
});
// The IPC channel must not keep the process alive once main.ts has stopped the gateway.
process.channel?.unref();

await import('../../gateway/src/main.js');
