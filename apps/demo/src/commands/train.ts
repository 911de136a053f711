import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Random, init, manualSeed, tf } from '@recurrent/core';
import { buildCorpus, randomBatches, sequentialBatches } from '@recurrent/datasets';
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
import { DataParallelTrainer, checkpointEvery, loadCheckpoint, saveCheckpoint } from '@recurrent/train/node';
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { checkArrangement, chooseArrangement, describeArrangement } from '../lib/arrangement';
import { checkpointFlag, readTextFlag, UsageError, withFlag } from '../lib/inputs';
import { integer, nonNegativeNumber, positiveInt, positiveNumber } from '../lib/options';
import { InterruptedError, processOutput, type CliOutput } from '../program';

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
  /** Also checkpoint every this many optimizer steps (inside epochs: --resume continues from the next batch). */
  checkpointEvery?: number;
  /** Append one JSON line per optimizer step (epoch, step, batch, loss, gradNorm, lr) to this file. */
  logSteps?: string;
  backend?: 'wasm' | 'cpu';
  /** Threads of our kernels' pool (default: the cores); per worker with `workers`. */
  threads?: number;
  /** Data-parallel workers (default 1: one process on the pool; lib/arrangement.ts says why). */
  workers?: number;
  /** Draw a progress bar (default: when stderr is a terminal). */
  progress?: boolean;
}

/** Where a checkpoint goes on Ctrl-C when neither --out nor --resume names a directory. */
export const INTERRUPT_DIR = 'recurrent-checkpoint';

/** The flags that decide the batches: a run resumed inside an epoch must see the same ones. */
const DATA_FLAGS = ['corpus', 'level', 'preprocess', 'batch', 'steps', 'sampler', 'seed'] as const;

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

/** The command line that continues a run from `dir` (the same flags, then --resume). */
export function resumeCommand(o: TrainCommandOptions, dir: string): string {
  const q = (v: string | number): string => (/^[\w./@:+,=-]+$/.test(String(v)) ? String(v) : JSON.stringify(String(v)));
  const flags: [string, string | number | undefined][] = [
    ['--corpus', o.corpus],
    ['--level', o.level],
    ['--preprocess', o.preprocess],
    ['--batch', o.batch],
    ['--steps', o.steps],
    ['--sampler', o.sampler],
    ['--optimizer', o.optimizer],
    ['--lr', o.lr],
    ['--clip', o.clip],
    ['--epochs', o.epochs],
    ['--seed', o.seed],
    ['--out', o.out ?? dir],
    ['--checkpoint-every', o.checkpointEvery],
    ['--log-steps', o.logSteps],
  ];
  return ['recurrent train', ...flags.filter(([, v]) => v !== undefined).map(([f, v]) => `${f} ${q(v!)}`), `--resume ${q(dir)}`].join(' ');
}

/** Yields to the event loop now and then, so a signal (Ctrl-C) is seen between two steps. */
function breathe(everyMs = 50): TrainerCallback {
  let last = Date.now();
  return {
    async onStep() {
      if (Date.now() - last < everyMs) return;
      await new Promise((r) => setImmediate(r));
      last = Date.now();
    },
  };
}

/**
 * `recurrent train`: builds (or resumes) a language model on a corpus and trains it, printing one
 * line per epoch. Returns the history. Errors are typed (the CLI prints them as one line).
 * SIGINT or SIGTERM finishes the current step, writes a resumable checkpoint (atomically), says
 * where and how to resume, and ends with an `InterruptedError`; a second signal quits at once
 * (the checkpoint on disk stays whole: writes are atomic and a killed one is cleaned up later).
 */
export async function runTrain(o: TrainCommandOptions, output: CliOutput = processOutput, internal: { workerUrl?: URL } = {}): Promise<EpochStats[]> {
  const arrangement = chooseArrangement(o);
  checkArrangement(arrangement, o);
  const text = await readTextFlag('--corpus', o.corpus);
  const resumeDir = o.resume ? await checkpointFlag('--resume', o.resume) : null;
  const saveDir = o.out ? resolve(o.out) : resumeDir;
  if (o.checkpointEvery !== undefined && !saveDir) {
    throw new UsageError('--checkpoint-every', String(o.checkpointEvery), 'has no directory to write to', 'give --out DIR (or --resume DIR) too');
  }
  const info = await init({ backend: o.backend ?? 'wasm', threads: arrangement.kind === 'threads' ? arrangement.threads : 1 });
  manualSeed(o.seed);
  const random = new Random(o.seed);
  const dataFlags = Object.fromEntries(DATA_FLAGS.map((k) => [k, k === 'corpus' ? resolve(o.corpus) : o[k]])) as Record<string, string | number>;

  let model: LanguageModel;
  let vocab: Vocab;
  let tokenizer: { level: 'char' | 'word'; preprocess: 'd2l' | 'none' };
  /** A resumed run's optimizer, its state loaded; a new run's is made with its trainer. */
  let optimizer: Optimizer | null = null;
  let resumed: Awaited<ReturnType<typeof loadCheckpoint>> | null = null;
  const resumeHint = 'give a checkpoint this command wrote (recurrent train --out DIR)';
  if (resumeDir) {
    resumed = await withFlag('--resume', o.resume!, resumeHint, () => loadCheckpoint(resumeDir));
    model = resumed.model;
    vocab = Vocab.fromJSON(resumed.config.vocab);
    const level = resumed.config.tokenizer.level;
    if (level === 'jieba') throw new UsageError('--resume', o.resume!, 'is a jieba-level checkpoint, which train does not read', 'give a char- or word-level checkpoint');
    tokenizer = { level, preprocess: resumed.config.tokenizer.preprocess };
    const resumedOptimizer = makeOptimizer(o.optimizer, model, o.lr);
    optimizer = resumedOptimizer;
    if (resumed.optimizer) {
      const state = resumed.optimizer;
      await withFlag('--optimizer', o.optimizer, `give the optimizer the checkpoint was trained with (${state.scalars.type.toLowerCase()})`, () => resumedOptimizer.loadStateDict(state));
      tf.dispose(Object.values(resumed.optimizer.tensors));
    }
    // Inside an epoch, the batches must be drawn exactly as before: the data flags must match.
    const saved = resumed.trainer?.run;
    if (resumed.trainer?.position && saved) {
      for (const key of DATA_FLAGS) {
        if (saved[key] !== undefined && saved[key] !== dataFlags[key]) {
          throw new UsageError(`--${key}`, String(o[key]), `differs from the run in --resume ${o.resume} (it was trained with --${key} ${saved[key]})`, 'give the same data flags to continue an epoch where it stopped');
        }
      }
    }
  } else {
    tokenizer = { level: o.level, preprocess: o.preprocess };
    const corpus = await withFlag('--corpus', o.corpus, TEXT_HINT_TOKENS, () => buildCorpus(text, tokenizer));
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
  }
  const clipNorm = o.clip > 0 ? o.clip : null;
  // Data-parallel runs make their optimizer from a spec (each worker needs one); no --resume there.
  const trainer =
    arrangement.kind === 'data-parallel'
      ? new DataParallelTrainer({ model, optimizer: { type: o.optimizer, lr: o.lr }, clipNorm, workers: arrangement.workers, threadsPerWorker: arrangement.threadsPerWorker, random, ...(internal.workerUrl ? { workerUrl: internal.workerUrl } : {}) })
      : new Trainer({ model, optimizer: optimizer ?? makeOptimizer(o.optimizer, model, o.lr), clipNorm, random, run: dataFlags });
  try {
    const { ids } = await withFlag('--corpus', o.corpus, 'give a corpus in the checkpoint\'s vocabulary (one with <unk>, or the same text)', () => buildCorpus(text, { ...tokenizer, vocab }));
    // The smallest corpus one batch needs (+1 target, + the sequential sampler's offset up to T).
    const needed = o.batch * o.steps + 1 + (o.sampler === 'sequential' ? o.steps : o.steps - 1);
    if (ids.length < needed) {
      throw new UsageError('--corpus', o.corpus, `has ${ids.length} ${tokenizer.level} tokens, too few for --batch ${o.batch} x --steps ${o.steps} (one batch needs ${needed})`, 'give a longer text or a smaller --batch or --steps');
    }
    const samplerOptions = { batchSize: o.batch, numSteps: o.steps, random };
    const sampler = o.sampler === 'random' ? randomBatches(ids, samplerOptions) : sequentialBatches(ids, samplerOptions);
    if (resumed?.trainer) trainer.setState(resumed.trainer, resumed.carriedState);
    const stream = process.stderr;
    if (o.progress !== false && stream.isTTY) trainer.callbacks.push(progressBar(() => sampler.numBatches(), stream));
    if (o.logSteps) trainer.callbacks.push(stepLog(resolve(o.logSteps)));
    trainer.callbacks.push({ onEpochEnd: (s) => output.out(formatEpoch(s, o.epochs)) });
    trainer.callbacks.push(breathe());
    // Data-parallel runs have no --out or --resume (checkArrangement): saveDir is null there.
    if (saveDir && trainer instanceof Trainer) {
      trainer.callbacks.push(checkpointEvery({ dir: saveDir, trainer, model, tokenizer, vocab: vocab.toConfig(), ...(o.checkpointEvery ? { steps: o.checkpointEvery } : {}) }));
    }
    const position = resumed?.trainer?.position;
    output.out(
      `training ${model.config.cell} hidden ${model.config.hiddenSize} x${model.config.numLayers} on ${ids.length} tokens (vocabulary ${vocab.size}), ${o.sampler} batches ${o.batch}x${o.steps}, ${trainer.optimizer.type} lr ${o.lr}, ${describeArrangement(arrangement, info.threads)}${resumed?.trainer ? `, resuming after ${position ? `batch ${position.batches} of epoch ${position.epoch} (step ${resumed.trainer.step})` : `epoch ${resumed.trainer.epoch}`}` : ''}\n`,
    );

    // Ctrl-C / SIGTERM: the first finishes the step and checkpoints; a second quits at once.
    let signal: 'SIGINT' | 'SIGTERM' | null = null;
    const onSignal = (received: 'SIGINT' | 'SIGTERM'): void => {
      if (signal) {
        output.err(`recurrent: ${received} again: quitting now (the last checkpoint on disk is whole)\n`);
        process.exit(received === 'SIGINT' ? 130 : 143);
      }
      signal = received;
      output.err(`recurrent: ${received}: finishing the current step, then writing a checkpoint (${received === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again quits at once)\n`);
      trainer.interrupt();
    };
    const onInt = (): void => onSignal('SIGINT');
    const onTerm = (): void => onSignal('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    let history: EpochStats[];
    try {
      history = await trainer.fit({ epochs: o.epochs, data: () => sampler });
    } finally {
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
    }
    if (signal) {
      const dir = saveDir ?? resolve(INTERRUPT_DIR);
      // With --out (or --resume) the checkpoint callback saved it as the run ended.
      if (!saveDir) await saveCheckpoint(dir, { model, optimizer: trainer.optimizer, trainer: trainer.getState(), carriedState: trainer.carriedState(), tokenizer, vocab: vocab.toConfig() });
      const where = trainer.getState().position;
      const at = where ? `in epoch ${where.epoch} after batch ${where.batches} of ${sampler.numBatches()}` : `after epoch ${trainer.epoch}`;
      output.err(`recurrent: stopped ${at} (step ${trainer.step}); checkpoint written to ${dir}\n`);
      output.err(`recurrent: resume with: ${resumeCommand(o, dir)}\n`);
      throw new InterruptedError(signal, `training interrupted by ${signal}; resume with --resume ${dir}`);
    }
    return history;
  } finally {
    trainer.dispose();
    trainer.optimizer.dispose();
    model.dispose();
  }
}

const TEXT_HINT_TOKENS = 'give a text with tokens at this --level after --preprocess';

/** Appends one JSON line per optimizer step to `file` (every digit of the loss: a run's curve). */
function stepLog(file: string): TrainerCallback {
  return {
    onStep(info: StepInfo) {
      appendFileSync(file, `${JSON.stringify({ epoch: info.epoch, step: info.step, batch: info.batch, loss: info.loss, gradNorm: info.gradNorm, lr: info.lr })}\n`);
    },
  };
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
    .option('--seed <n>', 'random seed', integer, 0)
    .option('--out <dir>', 'write a checkpoint here after every epoch (and when interrupted)')
    .option('--resume <dir>', 'continue from this checkpoint (inside an epoch too: give the same data flags)')
    .option('--checkpoint-every <n>', 'also checkpoint every n optimizer steps (needs --out or --resume)', positiveInt)
    .option('--log-steps <file>', 'append one JSON line per optimizer step (epoch, step, batch, loss, gradNorm, lr) to this file')
    .addOption(new Option('--backend <name>', 'tensor backend').choices(['wasm', 'cpu']).default('wasm'))
    .option('--threads <n>', 'threads of the kernels (default: every core); per worker with --workers', positiveInt)
    .option('--workers <n>', 'data-parallel workers, each with a copy of the model (default 1: one process on --threads threads, measured faster for every model tried)', positiveInt)
    .option('--no-progress', 'do not draw a progress bar')
    .action(async (opts: TrainCommandOptions) => {
      await runTrain(opts, output);
    });
}
