import { init } from '@recurrent/core';
import { buildCorpus, sequentialBatches } from '@recurrent/datasets';
import { Vocab } from '@recurrent/tokenizers';
import { evaluate, type EvalResult } from '@recurrent/train';
import { loadCheckpoint } from '@recurrent/train/node';
import { Option, type Command } from 'commander';
import { checkpointFlag, readTextFlag, UsageError, withFlag } from '../lib/inputs';
import { positiveInt } from '../lib/options';
import { processOutput, type CliOutput } from '../program';

export interface EvalCommandOptions {
  checkpoint: string;
  corpus: string;
  batch: number;
  steps: number;
  backend?: 'wasm' | 'cpu';
  /** Print `{"perplexity", "loss", "tokens"}` as JSON, every digit (for comparisons with PyTorch). */
  json?: boolean;
}

/**
 * `recurrent eval`: perplexity of a checkpoint on a corpus, tokenized as the checkpoint says and
 * run in order (sequential batches without random offset, state carried between windows), as the
 * checkpoint format's `expected.json` `eval` section defines it.
 */
export async function runEval(o: EvalCommandOptions, output: CliOutput = processOutput): Promise<EvalResult> {
  const text = await readTextFlag('--corpus', o.corpus);
  const dir = await checkpointFlag('--checkpoint', o.checkpoint);
  await init({ backend: o.backend ?? 'wasm' });
  const { config, model } = await withFlag('--checkpoint', o.checkpoint, 'give a checkpoint written by recurrent train or examples/pytorch', () => loadCheckpoint(dir));
  try {
    const level = config.tokenizer.level;
    if (level === 'jieba') throw new UsageError('--checkpoint', o.checkpoint, 'is a jieba-level checkpoint, which eval does not read', 'give a char- or word-level checkpoint');
    const vocab = Vocab.fromJSON(config.vocab);
    const { ids } = await withFlag('--corpus', o.corpus, "give a text the checkpoint's vocabulary covers (or a checkpoint with <unk>)", () => buildCorpus(text, { level, preprocess: config.tokenizer.preprocess, vocab }));
    const needed = o.batch * o.steps + 1;
    if (ids.length < needed) {
      throw new UsageError('--corpus', o.corpus, `has ${ids.length} ${level} tokens, too few for --batch ${o.batch} x --steps ${o.steps} (one window needs ${needed})`, 'give a longer text or a smaller --batch or --steps');
    }
    const batches = sequentialBatches(ids, { batchSize: o.batch, numSteps: o.steps, offset: 0 });
    const result = await evaluate(model, batches);
    if (o.json) output.out(`${JSON.stringify({ perplexity: result.perplexity, loss: result.loss, tokens: result.tokens })}\n`);
    else output.out(`perplexity ${result.perplexity.toFixed(4)} (${result.tokens} targets, cross-entropy ${result.loss.toFixed(5)})\n`);
    return result;
  } finally {
    model.dispose();
  }
}

/** Registers `recurrent eval` on `program`. */
export function registerEvalCommand(program: Command, output: CliOutput = processOutput): void {
  program
    .command('eval')
    .description('Print the perplexity of a checkpoint on a corpus (sequential batches from offset 0, state carried)')
    .requiredOption('--checkpoint <dir>', 'a checkpoint directory (recurrent-lm/1)')
    .requiredOption('--corpus <file>', 'a UTF-8 text file')
    .option('--batch <n>', 'batch size', positiveInt, 32)
    .option('--steps <n>', 'time steps per window', positiveInt, 35)
    .addOption(new Option('--backend <name>', 'tensor backend').choices(['wasm', 'cpu']).default('wasm'))
    .option('--json', 'print {"perplexity", "loss", "tokens"} as JSON with every digit')
    .action(async (opts: EvalCommandOptions) => {
      await runEval(opts, output);
    });
}
