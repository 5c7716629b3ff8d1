import { Worker } from 'node:worker_threads';
import type { BacktestJob, BacktestJobResult } from './backtest-job.js';
import type { WorkerMessage } from './backtest-worker.js';
import type { RuleProblem } from './loader.js';

/** A backtest that failed in its worker: bad candidate rules carry their problems. */
export class BacktestFailed extends Error {
  constructor(
    message: string,
    readonly problems?: RuleProblem[],
  ) {
    super(message);
    this.name = 'BacktestFailed';
  }
}

const fromSource = () => import.meta.url.endsWith('.ts');

/**
 * Runs a backtest in a worker thread. From compiled JavaScript the worker is the .js file
 * beside this one; from the TypeScript sources (tests, `npm run dev`) it is the .ts file,
 * loaded through tsx.
 */
export function runBacktestInWorker(job: BacktestJob, onProgress?: (p: { at: number; points: number }) => void, signal?: AbortSignal): Promise<BacktestJobResult> {
  const worker = fromSource()
    ? // tsx's loader hooks do not reach a worker through execArgv on Node 20: the worker loads
      // the TypeScript entry through tsx's own import function instead.
      new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.tsImport(${JSON.stringify(new URL('./backtest-worker.ts', import.meta.url).href)}, ${JSON.stringify(import.meta.url)}))`, { eval: true, workerData: job })
    : new Worker(new URL('./backtest-worker.js', import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      fn();
      void worker.terminate();
    };
    const abort = () => settle(() => reject(new BacktestFailed('the backtest was stopped')));
    signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress?.(m);
      else if (m.type === 'done') settle(() => resolve(m.result));
      else settle(() => reject(new BacktestFailed(m.message, m.problems)));
    });
    worker.on('error', (err) => settle(() => reject(new BacktestFailed(err.message))));
    worker.on('exit', (code) => settle(() => reject(new BacktestFailed(`the backtest worker exited with code ${code}`))));
  });
}
