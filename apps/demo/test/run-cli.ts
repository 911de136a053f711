// The `recurrent` CLI in-process for tests: every command that takes an output, with stdout and
// stderr captured, and the exit code runCli returns.
import { registerCorpusCommand } from '../src/commands/corpus';
import { registerEvalCommand } from '../src/commands/eval';
import { registerGenerateCommand } from '../src/commands/generate';
import { registerTrainCommand } from '../src/commands/train';
import { createProgram, runCli, type CliOutput } from '../src/program';

export async function recurrentInProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const output: CliOutput = { out: (s) => void (out += s), err: (s) => void (err += s) };
  const program = createProgram();
  registerCorpusCommand(program, output.out);
  registerTrainCommand(program, output);
  registerEvalCommand(program, output);
  registerGenerateCommand(program, output);
  const code = await runCli(program, argv, output);
  return { code, out, err };
}
