import { InvalidArgumentError, init } from '@recurrent/core';
import { GenerationAbortedError, resolveOptions, type GenerateOptions, type Strategy } from '@recurrent/generate';
import { loadGenerator } from '@recurrent/generate/node';
import { Option, type Command } from 'commander';
import { checkpointFlag, UsageError, withFlag } from '../lib/inputs';
import { finiteNumber, integer } from '../lib/options';
import { processOutput, type CliOutput } from '../program';

export interface GenerateCommandOptions {
  checkpoint: string;
  prefix: string;
  tokens: number;
  strategy?: Strategy;
  temperature?: number;
  topK?: number;
  topP?: number;
  beam?: number;
  lengthPenalty?: number;
  repetitionPenalty?: number;
  seed?: number;
  stop?: string[];
  preprocess?: boolean;
  unknown: 'unk' | 'error';
  backend: 'wasm' | 'cpu';
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The library option each generate flag sets (for messages). */
const FLAG_OF: Record<string, string> = {
  maxTokens: '--tokens',
  strategy: '--strategy',
  temperature: '--temperature',
  topK: '--top-k',
  topP: '--top-p',
  beamWidth: '--beam',
  lengthPenalty: '--length-penalty',
  repetitionPenalty: '--repetition-penalty',
  seed: '--seed',
  stopStrings: '--stop',
  unknown: '--unknown',
};

/** Checks the options as the library will, naming the flag the user typed. */
function resolveFlags(options: GenerateOptions): void {
  try {
    resolveOptions('generate', options);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    const flag = FLAG_OF[error.argument] ?? error.argument;
    throw new UsageError(flag, String(error.received), `must be ${error.expected}`, `see recurrent generate --help`, error);
  }
}

/** The library options a command line asks for. */
export function generateOptionsFromFlags(o: GenerateCommandOptions): GenerateOptions {
  const options: GenerateOptions = { maxTokens: o.tokens, unknown: o.unknown, preprocessPrefix: o.preprocess ?? false };
  if (o.strategy !== undefined) options.strategy = o.strategy;
  if (o.temperature !== undefined) options.temperature = o.temperature;
  if (o.topK !== undefined) options.topK = o.topK;
  if (o.topP !== undefined) options.topP = o.topP;
  if (o.beam !== undefined) options.beamWidth = o.beam;
  if (o.lengthPenalty !== undefined) options.lengthPenalty = o.lengthPenalty;
  if (o.repetitionPenalty !== undefined) options.repetitionPenalty = o.repetitionPenalty;
  if (o.seed !== undefined) options.seed = o.seed;
  if (o.stop !== undefined) options.stopStrings = o.stop;
  return options;
}

/**
 * Runs `generate`: loads the checkpoint, prints the prefix, then each token as it is produced,
 * then a newline. Ctrl-C stops within one step. Library errors propagate typed.
 */
export async function runGenerate(o: GenerateCommandOptions, output: CliOutput = processOutput, signal?: AbortSignal): Promise<void> {
  const options = generateOptionsFromFlags(o);
  resolveFlags(options); // typed errors naming the flag, before any work
  const dir = await checkpointFlag('--checkpoint', o.checkpoint);
  await init({ backend: o.backend });
  const loaded = await withFlag('--checkpoint', o.checkpoint, 'give a checkpoint written by recurrent train or examples/pytorch', () => loadGenerator(dir));
  try {
    const { generator } = loaded;
    // Typed errors before anything is printed.
    const prefix = await withFlag('--prefix', o.prefix, o.unknown === 'error' ? "use tokens of the checkpoint's vocabulary, or --unknown unk" : 'give some text to continue', () => generator.encodePrefix(o.prefix, options));
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort);
    const onSigint = () => controller.abort();
    if (!signal) process.once('SIGINT', onSigint);
    output.out(prefix.text);
    try {
      for await (const token of generator.stream(o.prefix, { ...options, signal: controller.signal })) output.out(token.text);
    } catch (error) {
      if (!(error instanceof GenerationAbortedError)) throw error;
    } finally {
      output.out('\n');
      signal?.removeEventListener('abort', abort);
      process.removeListener('SIGINT', onSigint);
    }
  } finally {
    loaded.dispose();
  }
}

/**
 * `recurrent generate --checkpoint DIR --prefix TEXT --tokens N [--strategy greedy|sample|beam]
 * [--temperature] [--top-k] [--top-p] [--beam] [--seed]`, streaming the text as it is produced.
 */
export function registerGenerateCommand(program: Command, output: CliOutput = processOutput): Command {
  return program
    .command('generate')
    .description('Continue a prefix with a trained checkpoint (greedy, sampling or beam search), streaming the text')
    .requiredOption('--checkpoint <dir>', 'checkpoint directory (config.json + model.safetensors)')
    .requiredOption('--prefix <text>', 'the text to continue')
    .option('--tokens <n>', 'tokens to generate', integer, 50)
    .addOption(new Option('--strategy <name>', 'decoding strategy (default: greedy; sample when a temperature/top-k/top-p is given; beam with --beam > 1)').choices(['greedy', 'sample', 'beam']))
    .option('--temperature <x>', 'sampling temperature (> 0)', finiteNumber)
    .option('--top-k <k>', 'sample among the k most likely tokens (>= 1)', integer)
    .option('--top-p <p>', 'sample among the most likely tokens reaching probability p (0 < p <= 1)', finiteNumber)
    .option('--beam <width>', 'beam search width (>= 1)', integer)
    .option('--length-penalty <x>', 'beam search: divide scores by length^x', finiteNumber)
    .option('--repetition-penalty <x>', 'penalise tokens already in the text (> 1 discourages repeats)', finiteNumber)
    .option('--seed <n>', 'seed for sampling: the same seed gives the same text', integer)
    .option('--stop <text>', 'stop once this text is generated (repeatable)', collect)
    .option('--preprocess', "apply the checkpoint's preprocessing (e.g. d2l lower-casing) to the prefix")
    .addOption(new Option('--unknown <mode>', 'prefix tokens missing from the vocabulary').choices(['unk', 'error']).default('unk'))
    .addOption(new Option('--backend <name>', 'tensor backend').choices(['wasm', 'cpu']).default('wasm'))
    .action(async (opts: GenerateCommandOptions) => {
      await runGenerate(opts, output);
    });
}
