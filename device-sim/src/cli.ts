// `npm run sim -- --help`: dispatch only; the command lives in command.ts.
import { runCli } from './command.js';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signals: process });
