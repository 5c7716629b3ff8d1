import { pathToFileURL } from 'node:url';
import { backtestHelp, startBacktest } from './backtest-command.js';
import { checkHelp, startCheck } from './check-command.js';
import { processIo, type CommandIo } from './cli-io.js';
import { replayHelp, startReplay } from './replay-command.js';

// `npm run rules -- <command>`: this file only dispatches; each command is testable in-process.

const usage = `Usage: npm run rules -- <command> [options]

Commands:
  check [dir]      validate the rule directory (default ./rules)
  replay ...       replay a recorded NDJSON stream through the rules
  backtest ...     compare the rules in force with a candidate set on stored history

Run a command with --help for its options.

${checkHelp}
${replayHelp}
${backtestHelp}`;

export function main(argv: string[], io: CommandIo = processIo): number | Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return startCheck(rest, io);
      case 'replay':
        return startReplay(rest, io);
      case 'backtest':
        return startBacktest(rest, io).catch((err) => parseArgsError(err, io));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(usage);
        return command === undefined ? 2 : 0;
      default:
        io.err(`unknown command "${command}"\n\n${usage}`);
        return 2;
    }
  } catch (err) {
    return parseArgsError(err, io);
  }
}

/** parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_*: exit 2; anything else is a bug. */
function parseArgsError(err: unknown, io: CommandIo): number {
  if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    io.err(`${(err as Error).message}\n`);
    return 2;
  }
  throw err;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void Promise.resolve(main(process.argv.slice(2))).then((code) => (process.exitCode = code));
}
