// Worker-thread entry of a backtest, so the gateway keeps serving while one runs: the job
// comes in workerData, progress and the result go back as messages.
import { parentPort, workerData } from 'node:worker_threads';
import { runBacktestJob, type BacktestJob } from './backtest-job.js';
import { RuleSetError } from './loader.js';

export type WorkerMessage =
  | { type: 'progress'; at: number; points: number }
  | { type: 'done'; result: Awaited<ReturnType<typeof runBacktestJob>> }
  | { type: 'error'; message: string; problems?: RuleSetError['problems'] };

const port = parentPort;
if (port) {
  let last = 0;
  runBacktestJob(workerData as BacktestJob, (p) => {
    const now = Date.now();
    if (now - last < 500) return;
    last = now;
    port.postMessage({ type: 'progress', at: p.at, points: p.points } satisfies WorkerMessage);
  })
    .then((result) => port.postMessage({ type: 'done', result } satisfies WorkerMessage))
    .catch((err: unknown) => {
      const msg: WorkerMessage = err instanceof RuleSetError ? { type: 'error', message: err.message, problems: err.problems } : { type: 'error', message: (err as Error).message ?? String(err) };
      port.postMessage(msg);
    });
}
