import { resolve } from 'node:path';
import { InvalidArgumentError, Random, init, manualSeed, tf } from '@recurrent/core';
import { buildCorpus, randomBatches, sequentialBatches } from '@recurrent/datasets';
import { readTextFile } from '@recurrent/datasets/node';
import { LanguageModel } from '@recurrent/layers';
import { Vocab } from '@recurrent/tokenizers';
import {
  Adam,
  AdamW,
  RMSprop,
  SGD,
  Trainer,
  type EpochStats,
  type Optimizer,
  type StepInfo,
  type TrainerCallback,
} from '@recurrent/train';
import { DataParallelTrainer, checkpointEvery, loadCheckpoint } from '@recurrent/train/node';
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { checkArrangement, chooseArrangement, describeArrangement } from '../lib/arrangement';
import { nonNegativeNumber, positiveInt, positiveNumber } from '../lib/options';
import { processOutput, type CliOutput } from '../program';

export interface TrainCommandOptions {
  corpus: string;
  level: 'char' | 'word';
  preprocess: 'd2l' | 'none';
  cell: 'lstm' | 'gru' | 'rnn';
  hidden: number;
  layers: number;
  /** Embedding width; absent: one-hot input (d2l). */
  embedding?: number;
  batch: number;
  steps: number;
  sampler: 'random' | 'sequential';
  optimizer: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  lr: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  clip: number;
  epochs: number;
  seed: number;
  out?: string;
  resume?: string;
  backend?: 'wasm' | 'cpu';
  /** Threads of our kernels' pool (default: the cores); per worker with `workers`. */
  threads?: number;
  /** Data-parallel workers (default 1: one process on the pool; lib/arrangement.ts says why). */
  workers?: number;
  /** Draw a progress bar (default: when stderr is a terminal). */
  progress?: boolean;
}

/** One line per epoch: `epoch 3/30 perplexity 11.376 tokens/s 12345 loss 2.4314 lr 1`. */
export function formatEpoch(s: EpochStats, epochs: number): string {
  const val = s.validation ? ` validation perplexity ${s.validation.perplexity.toFixed(3)}` : '';
  return `epoch ${s.epoch}/${epochs} perplexity ${s.perplexity.toFixed(3)} tokens/s ${Math.round(s.tokensPerSecond)} loss ${s.loss.toFixed(4)} lr ${Number(s.lr.toPrecision(6))}${val}\n`;
}

function makeOptimizer(name: TrainCommandOptions['optimizer'], model: LanguageModel, lr: number): Optimizer {
  const params = model.parameters();
  switch (name) {
    case 'sgd':
      return new SGD(params, { lr });
    case 'adam':
      return new Adam(params, { lr });
    case 'adamw':
      return new AdamW(params, { lr });
    case 'rmsprop':
      return new RMSprop(params, { lr });
    default:
      throw new InvalidArgumentError({ fn: 'train', argument: '--optimizer', expected: "one of 'sgd', 'adam', 'adamw', 'rmsprop'", received: name });
  }
}

/** A terminal progress bar over the batches of each epoch, drawn from the trainer's callbacks. */
function progressBar(total: () => number, stream: NodeJS.WriteStream): TrainerCallback {
  let bar: SingleBar | null = null;
  return {
    onEpochBegin(epoch) {
      bar = new SingleBar({ format: `epoch ${epoch} [{bar}] {value}/{total} loss {loss}`, stream, clearOnComplete: true, hideCursor: true }, undefined);
      bar.start(total(), 0, { loss: '-' });
    },
    onStep(info: StepInfo) {
      bar?.update(info.batch + 1, { loss: info.loss.toFixed(3) });
    },
    onEpochEnd() {
      bar?.stop();
      bar = null;
    },
  };
}

/**
 * `recurrent train`: builds (or resumes) a language model on a corpus and trains it, printing one
 * line per epoch. Returns the history. Errors are typed (the CLI prints them as one line).
 */
export async function runTrain(o: TrainCommandOptions, output: CliOutput = processOutput, internal: { workerUrl?: URL } = {}): Promise<EpochStats[]> {
  const arrangement = chooseArrangement(o);
  checkArrangement(arrangement, o);
  const info = await init({ backend: o.backend ?? 'wasm', threads: arrangement.kind === 'threads' ? arrangement.threads : 1 });
  manualSeed(o.seed);
  const random = new Random(o.seed);
  const text = await readTextFile(resolve(o.corpus));

  let model: LanguageModel;
  let vocab: Vocab;
  let tokenizer: { level: 'char' | 'word'; preprocess: 'd2l' | 'none' };
  let optimizer: Optimizer;
  let resumed: Awaited<ReturnType<typeof loadCheckpoint>> | null = null;
  if (o.resume) {
    resumed = await loadCheckpoint(resolve(o.resume));
    model = resumed.model;
    vocab = Vocab.fromJSON(resumed.config.vocab);
    const level = resumed.config.tokenizer.level;
    if (level === 'jieba') throw new InvalidArgumentError({ fn: 'train', argument: '--resume', expected: 'a char- or word-level checkpoint', received: level });
    tokenizer = { level, preprocess: resumed.config.tokenizer.preprocess };
    optimizer = makeOptimizer(o.optimizer, model, o.lr);
    if (resumed.optimizer) {
      optimizer.loadStateDict(resumed.optimizer);
      tf.dispose(Object.values(resumed.optimizer.tensors));
    }
  } else {
    tokenizer = { level: o.level, preprocess: o.preprocess };
    const corpus = await buildCorpus(text, tokenizer);
    vocab = corpus.vocab;
    model = new LanguageModel({
      cell: o.cell,
      input: o.embedding ? 'embedding' : 'one-hot',
      embeddingDim: o.embedding ?? null,
      vocabSize: vocab.size,
      hiddenSize: o.hidden,
      numLayers: o.layers,
      random,
    });
    optimizer = makeOptimizer(o.optimizer, model, o.lr);
  }
  const { ids } = await buildCorpus(text, { ...tokenizer, vocab });
  const samplerOptions = { batchSize: o.batch, numSteps: o.steps, random };
  const sampler = o.sampler === 'random' ? randomBatches(ids, samplerOptions) : sequentialBatches(ids, samplerOptions);
  const batchesPerEpoch = (): number => {
    const n = o.sampler === 'random' ? Math.floor((ids.length - 1) / o.steps) : Math.floor((ids.length - 1) / o.batch);
    return o.sampler === 'random' ? Math.floor(n / o.batch) : Math.floor(n / o.steps);
  };

  const clipNorm = o.clip > 0 ? o.clip : null;
  const trainer =
    arrangement.kind === 'data-parallel'
      ? new DataParallelTrainer({ model, optimizer: { type: o.optimizer, lr: o.lr }, clipNorm, workers: arrangement.workers, threadsPerWorker: arrangement.threadsPerWorker, random, ...(internal.workerUrl ? { workerUrl: internal.workerUrl } : {}) })
      : new Trainer({ model, optimizer, clipNorm, random });
  if (resumed?.trainer && trainer instanceof Trainer) trainer.setState(resumed.trainer);
  const stream = process.stderr;
  if (o.progress !== false && stream.isTTY) trainer.callbacks.push(progressBar(batchesPerEpoch, stream));
  trainer.callbacks.push({ onEpochEnd: (s) => output.out(formatEpoch(s, o.epochs)) });
  if (o.out && trainer instanceof Trainer) {
    const dir = resolve(o.out);
    trainer.callbacks.push(checkpointEvery({ dir, trainer, model, tokenizer, vocab: vocab.toConfig() }));
  }
  output.out(
    `training ${model.config.cell} hidden ${model.config.hiddenSize} x${model.config.numLayers} on ${ids.length} tokens (vocabulary ${vocab.size}), ${o.sampler} batches ${o.batch}x${o.steps}, ${optimizer.type} lr ${o.lr}, ${describeArrangement(arrangement, info.threads)}${resumed?.trainer ? `, resuming after epoch ${resumed.trainer.epoch}` : ''}\n`,
  );
  try {
    return await trainer.fit({ epochs: o.epochs, data: () => sampler });
  } finally {
    optimizer.dispose();
    if (trainer instanceof DataParallelTrainer) trainer.optimizer.dispose();
    model.dispose();
  }
}

/** Registers `recurrent train` on `program`. */
export function registerTrainCommand(program: Command, output: CliOutput = processOutput): void {
  program
    .command('train')
    .description('Train a character- or word-level RNN/LSTM/GRU language model and print perplexity per epoch')
    .requiredOption('--corpus <file>', 'a UTF-8 text file')
    .addOption(new Option('--level <level>', 'tokens').choices(['char', 'word']).default('char'))
    .addOption(new Option('--preprocess <mode>', 'd2l: letters only, lower-case, per line; none: as is').choices(['d2l', 'none']).default('none'))
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']).default('lstm'))
    .option('--hidden <n>', 'hidden size', positiveInt, 256)
    .option('--layers <n>', 'stacked layers', positiveInt, 1)
    .option('--embedding <n>', 'embedding size (default: one-hot input)', positiveInt)
    .option('--batch <n>', 'batch size', positiveInt, 32)
    .option('--steps <n>', 'time steps per batch (truncated BPTT length)', positiveInt, 35)
    .addOption(new Option('--sampler <kind>', 'minibatch sampling').choices(['random', 'sequential']).default('sequential'))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'adam', 'adamw', 'rmsprop']).default('sgd'))
    .option('--lr <x>', 'learning rate', positiveNumber, 1)
    .option('--clip <x>', 'clip the global gradient norm (0: off)', nonNegativeNumber, 1)
    .option('--epochs <n>', 'epochs (a resumed run continues up to this number)', positiveInt, 30)
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 0)
    .option('--out <dir>', 'write a checkpoint here after every epoch')
    .option('--resume <dir>', 'continue from this checkpoint')
    .addOption(new Option('--backend <name>', 'tensor backend').choices(['wasm', 'cpu']).default('wasm'))
    .option('--threads <n>', 'threads of the kernels (default: every core); per worker with --workers', positiveInt)
    .option('--workers <n>', 'data-parallel workers, each with a copy of the model (default 1: one process on --threads threads, measured faster for every model tried)', positiveInt)
    .option('--no-progress', 'do not draw a progress bar')
    .action(async (opts: TrainCommandOptions) => {
      await runTrain(opts, output);
    });
}
