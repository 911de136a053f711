import type { Command } from 'commander';
import { registerCorpusCommand } from './corpus';
import { registerDemoCommand } from './demo';
import { registerEvalCommand } from './eval';
import { registerGenerateCommand } from './generate';
import { registerTrainCommand } from './train';

/** Adds every `recurrent` command to `program`. */
export function registerCommands(program: Command): Command {
  registerDemoCommand(program);
  registerCorpusCommand(program);
  registerTrainCommand(program);
  registerEvalCommand(program);
  registerGenerateCommand(program);
  return program;
}
