import { pathToFileURL } from 'node:url';
import { checkHelp, startCheck } from './check-command.js';
import { processIo, type CommandIo } from './cli-io.js';
import { replayHelp, startReplay } from './replay-command.js';

// `npm run rules -- <command>`: this file only dispatches; each command is testable in-process.

const usage = `Usage: npm run rules -- <command> [options]

Commands:
  check [dir]      validate the rule directory (default ./rules)
  replay ...       replay a recorded NDJSON stream through the rules

Run a command with --help for its options.

${checkHelp}
${replayHelp}`;

export function main(argv: string[], io: CommandIo = processIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return startCheck(rest, io);
      case 'replay':
        return startReplay(rest, io);
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
    // parseArgs reports unknown or malformed options this way.
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2));
}
