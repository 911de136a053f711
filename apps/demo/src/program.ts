import { Command, CommanderError } from 'commander';
import { RecurrentError } from '@recurrent/core';
import { UsageError } from './lib/inputs';

/** Where the CLI writes; tests pass their own. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Exit codes: 0 ok, 1 a failure while running, 2 a usage error (bad flag, bad value). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * A run that a signal ended (after it saved what it had): printed as one line like any error, the
 * process exits with the shell's code for the signal (130 for SIGINT, 143 for SIGTERM).
 */
export class InterruptedError extends RecurrentError {
  readonly signal: 'SIGINT' | 'SIGTERM';
  readonly exitCode: number;

  constructor(signal: 'SIGINT' | 'SIGTERM', message: string) {
    super('ABORTED', message);
    this.name = 'InterruptedError';
    this.signal = signal;
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}

/** Turns any message into the single line the CLI prints: `recurrent: <message>`. */
export function oneLine(message: string): string {
  const text = message
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join(' ');
  return `recurrent: ${text.length > 0 ? text : 'unknown error'}\n`;
}

/** Applies the shared error and output settings to a command and all its subcommands. */
export function configureCommandTree(command: Command, output: CliOutput): void {
  command
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => output.out(s),
      writeErr: (s) => output.err(s),
      // Printed by `runCli` as one line, together with every other error.
      outputError: () => undefined,
    });
  for (const sub of command.commands) configureCommandTree(sub, output);
}

/** The bare program: name, description and global flags. Commands are added by the caller. */
export function createProgram(): Command {
  return new Command('recurrent')
    .description('Train, evaluate and sample RNN/LSTM/GRU language models on a WebAssembly backend')
    .option('--debug', 'print the stack trace of errors')
    .helpCommand(true)
    .showHelpAfterError(false);
}

/**
 * Parses `argv` (without node and the script), runs the command and returns the exit code.
 * Every error becomes one line `recurrent: <message>` on stderr (plus the stack with --debug).
 */
export async function runCli(program: Command, argv: readonly string[], output: CliOutput = processOutput): Promise<number> {
  configureCommandTree(program, output);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return EXIT_OK;
      }
      // `recurrent` alone prints the help on stderr and exits with the usage code.
      if (error.code === 'commander.executeSubCommandAsync' || error.exitCode === 0) return error.exitCode;
      output.err(oneLine(error.message));
      return EXIT_USAGE;
    }
    const message = error instanceof Error ? error.message : String(error);
    output.err(oneLine(message));
    if (debug && error instanceof Error && error.stack) output.err(`${error.stack}\n`);
    if (error instanceof InterruptedError) return error.exitCode;
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  }
}
