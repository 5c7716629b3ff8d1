import { pathToFileURL } from 'node:url';
import { processIo, type CommandIo } from '../rules/cli-io.js';
import { startVerify, verifyHelp } from './verify-command.js';

// `npm run inspections -- <command>`: this file only dispatches; each command is testable in-process.

const usage = `用法 / Usage: npm run inspections -- <command> [options]

Commands:
  verify <file>    核验已公开的抽查结果 / recompute a published draw and compare it

${verifyHelp}
`;

export function main(argv: string[], io: CommandIo = processIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'verify':
        return startVerify(rest, io);
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
