import { HELP, SimOptionsError, wantsHelp } from './args.js';
import { start } from './index.js';
import { runHj212Cli } from './hj212/index.js';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Where Ctrl-C comes from; stops the run cleanly (a second one is left to the default). */
  signals?: NodeJS.EventEmitter;
}

/** The whole command: help, options, run, exit status. Returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // HJ 212 loggers speak TCP, not MQTT: their own runner and options.
  const p = argv.indexOf('--protocol');
  if (p !== -1 && argv[p + 1] === 'hj212') return runHj212Cli(argv, io);
  if (wantsHelp(argv)) {
    io.stdout.write(HELP);
    return 0;
  }
  try {
    const handle = await start(argv);
    const onSignal = (): void => void handle.stop();
    io.signals?.once('SIGINT', onSignal);
    io.signals?.once('SIGTERM', onSignal);
    try {
      await handle.done;
    } finally {
      io.signals?.off('SIGINT', onSignal);
      io.signals?.off('SIGTERM', onSignal);
    }
    return 0;
  } catch (err) {
    if (err instanceof SimOptionsError) io.stderr.write(`device-sim: ${err.message}\n`);
    else io.stderr.write(`device-sim: ${(err as Error).message}\n`);
    return 1;
  }
}
