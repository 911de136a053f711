#!/usr/bin/env node
import { registerCommands } from './commands';
import { createProgram, runCli } from './program';

// `pnpm recurrent ARGS` runs in the workspace root: resolve relative paths from where the user typed it.
if (process.env.INIT_CWD && (process.env.npm_lifecycle_event === 'recurrent' || process.env.npm_lifecycle_event === 'demo')) {
  process.chdir(process.env.INIT_CWD);
}

const program = createProgram();
registerCommands(program);

const argv = process.argv.slice(2);
process.exitCode = await runCli(program, argv[0] === '--' ? argv.slice(1) : argv);
