import { InvalidArgumentError } from '@recurrent/core';
import { describe, expect, it } from 'vitest';
import { registerCommands } from './commands';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, createProgram, oneLine, runCli, type CliOutput } from './program';

/** Runs the CLI in-process with captured output. */
async function run(argv: string[], extra?: (program: ReturnType<typeof createProgram>) => void): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const output: CliOutput = { out: (s) => (out += s), err: (s) => (err += s) };
  const program = createProgram();
  registerCommands(program);
  extra?.(program);
  const code = await runCli(program, argv, output);
  return { code, out, err };
}

/** A command that fails the way library code does: with a typed error. */
function failing(program: ReturnType<typeof createProgram>): void {
  program.command('boom').action(() => {
    throw new InvalidArgumentError({ fn: 'boom', argument: 'hiddenSize', expected: 'a positive integer', received: -3 });
  });
}

describe('recurrent CLI', () => {
  it('refuses an unknown flag with one plain line, a usage exit code and no stack', async () => {
    const r = await run(['demo', '--hiden', '64']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.out).toBe('');
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^recurrent: unknown option '--hiden'/);
    expect(lines[0]).toContain('--hidden'); // the suggestion stays on the same line
    expect(r.err).not.toMatch(/\bat .*\(/);
  });

  it('refuses a bad flag value with one line naming the flag', async () => {
    const r = await run(['demo', '--hidden', 'many']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^recurrent: .*--hidden.*many.*positive integer/);
  });

  it('refuses a value outside the choices', async () => {
    const r = await run(['demo', '--cell', 'transformer']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toMatch(/^recurrent: .*'transformer'.*lstm, gru, rnn/);
  });

  it('refuses an unknown command', async () => {
    const r = await run(['trian']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^recurrent: unknown command 'trian'/);
  });

  it('prints help for the program and for every command', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(EXIT_OK);
    expect(top.out).toMatch(/Usage: recurrent/);
    expect(top.out).toMatch(/--debug/);
    const program = registerCommands(createProgram());
    expect(program.commands.map((c) => c.name()).sort()).toEqual(['corpus', 'demo', 'eval', 'generate', 'train']);
    for (const command of program.commands) {
      const r = await run([command.name(), '--help']);
      expect(r.code, command.name()).toBe(EXIT_OK);
      expect(r.out, command.name()).toMatch(new RegExp(`Usage: recurrent ${command.name()}`));
      expect(r.err).toBe('');
    }
    const demo = await run(['demo', '--help']);
    for (const flag of ['--minutes', '--epochs', '--hidden', '--cell', '--out']) expect(demo.out).toContain(flag);
  });

  it('prints a typed error as one line and exits 1; the stack only with --debug', async () => {
    const r = await run(['boom'], failing);
    expect(r.code).toBe(EXIT_FAILURE);
    expect(r.err).toBe("recurrent: boom: 'hiddenSize' must be a positive integer, got -3\n");
    const d = await run(['--debug', 'boom'], failing);
    expect(d.code).toBe(EXIT_FAILURE);
    expect(d.err.split('\n')[0]).toBe("recurrent: boom: 'hiddenSize' must be a positive integer, got -3");
    expect(d.err).toMatch(/\n\s+at /);
  });

  it('folds a multi-line message into one line', () => {
    expect(oneLine('error: first\n(second)\n')).toBe('recurrent: first (second)\n');
    expect(oneLine('')).toBe('recurrent: unknown error\n');
  });
});
