import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { init } from '@recurrent/core';
import { modelCheckpointFiles } from '@recurrent/layers';
import { writeCheckpointFiles } from '@recurrent/layers/node';
import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { loadDefaultCorpus } from '../lib/default-corpus';
import { readTextFlag } from '../lib/inputs';
import { epochLine, formatInt, formatSeconds } from '../lib/format';
import { nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber } from '../lib/options';
import { plotCurve } from '../lib/plot';
import { DEFAULT_SESSION, TrainingSession, type SessionConfig } from '../lib/session';

export interface DemoOptions {
  minutes: number;
  epochs: number;
  cell: 'lstm' | 'gru' | 'rnn';
  hidden: number;
  layers: number;
  embedding?: number;
  batch: number;
  steps: number;
  lr: number;
  clip: number;
  seed: number;
  corpus?: string;
  out: string;
  tokens: number;
  prefix: string[];
  temperature: number[];
  backend: 'wasm' | 'cpu';
}

const DEFAULT_PREFIXES = ['Call me Ishmael. ', 'The whale '];

/** `recurrent demo`: the newcomer's first run (offline, about two minutes, then samples). */
export function registerDemoCommand(program: Command): Command {
  return program
    .command('demo')
    .description('Train a small character LSTM on Moby-Dick for about two minutes, then generate text')
    .option('--minutes <n>', 'training time budget in minutes', positiveNumber, 2)
    .option('--epochs <n>', 'epochs (the corpus slice is sized so they fit the time budget)', positiveInt, 8)
    .addOption(new Option('--cell <cell>', 'recurrent cell').choices(['lstm', 'gru', 'rnn']).default('lstm'))
    .option('--hidden <n>', 'hidden size', positiveInt, DEFAULT_SESSION.hiddenSize)
    .option('--layers <n>', 'stacked layers', positiveInt, DEFAULT_SESSION.numLayers)
    .option('--embedding <n>', 'embedding width (default: one-hot input)', positiveInt)
    .option('--batch <n>', 'batch size', positiveInt, DEFAULT_SESSION.batchSize)
    .option('--steps <n>', 'time steps per batch (truncated BPTT length)', positiveInt, DEFAULT_SESSION.numSteps)
    .option('--lr <x>', 'Adam learning rate', positiveNumber, DEFAULT_SESSION.lr)
    .option('--clip <x>', 'clip the gradient norm to this (0: off)', nonNegativeNumber, DEFAULT_SESSION.clip)
    .option('--seed <n>', 'random seed', nonNegativeInt, 0)
    .option('--corpus <file>', 'train on this UTF-8 text file instead of Moby-Dick')
    .option('--out <dir>', 'where to save the checkpoint', 'checkpoints/demo')
    .option('--tokens <n>', 'characters to generate per sample', positiveInt, 200)
    .option('--prefix <text...>', 'prefixes to continue', DEFAULT_PREFIXES)
    .option('--temperature <x...>', 'sampling temperatures', (v, prev: number[] | undefined) => [...(prev === TEMPS ? [] : (prev ?? [])), positiveNumber(v)], TEMPS)
    .addOption(new Option('--backend <name>', 'tensor backend').choices(['wasm', 'cpu']).default('wasm'))
    .action(async (options: DemoOptions) => {
      await runDemo(options, (s) => process.stdout.write(s));
    });
}

const TEMPS = [0.6, 1.0];



/** The demo itself; `write` receives the report (progress bars go to stderr when it is a terminal). */
export async function runDemo(options: DemoOptions, write: (text: string) => void): Promise<void> {
  const wall = Date.now();
  const info = await init({ backend: options.backend });
  write(`Recurrent demo: backend ${info.backend}${info.simd ? ' with SIMD' : ''}, ${info.threads} thread${info.threads === 1 ? '' : 's'}\n`);

  const corpus = options.corpus
    ? { name: options.corpus, text: await readTextFlag('--corpus', options.corpus) }
    : await loadDefaultCorpus();
  const config: SessionConfig = {
    ...DEFAULT_SESSION,
    cell: options.cell,
    hiddenSize: options.hidden,
    numLayers: options.layers,
    embeddingDim: options.embedding ?? null,
    batchSize: options.batch,
    numSteps: options.steps,
    lr: options.lr,
    clip: options.clip,
    seed: options.seed,
  };
  const session = await TrainingSession.create(corpus.text, config);
  try {
    write(
      `corpus: ${corpus.name}, ${formatInt(session.ids.length)} characters, vocabulary ${session.vocab.size}\n` +
        `model: ${config.cell.toUpperCase()} hidden ${config.hiddenSize}, ${config.numLayers} layer${config.numLayers > 1 ? 's' : ''}, ` +
        `${config.embeddingDim === null ? 'one-hot' : `embedding ${config.embeddingDim}`} input; batch ${config.batchSize} × ${config.numSteps} steps, Adam lr ${config.lr}\n`,
    );

    // Measure the speed (after the first batches, which include compilation), then size the
    // corpus slice so the epochs fit the budget. The probe's batches train the model too.
    const budget = options.minutes * 60;
    const probeSeconds = Math.min(8, Math.max(2, budget * 0.06));
    const marks: { batch: number; time: number }[] = [];
    const probe = await session.trainEpoch({ maxSeconds: probeSeconds, onBatch: (p) => marks.push({ batch: p.batch, time: Date.now() }) });
    const settled = marks.slice(Math.floor(marks.length / 3));
    const first = settled[0];
    const last = settled[settled.length - 1];
    const speed =
      first && last && last.time > first.time
        ? ((last.batch - first.batch) * config.batchSize * config.numSteps * 1000) / (last.time - first.time)
        : probe.tokensPerSecond;
    const perEpoch = Math.max(1, (budget - probe.seconds) / options.epochs);
    session.limitCorpus(speed * perEpoch);
    write(
      `warm-up: ${probe.batches} batches, ${formatInt(speed)} tokens/s; each epoch runs over the first ${formatInt(session.corpusTokens)} characters ` +
        `(${session.batchesPerEpoch} batches, about ${formatSeconds(perEpoch)})\n`,
    );

    const batchPerplexity: number[] = [];
    const tty = process.stderr.isTTY === true;
    const trainStart = Date.now();
    const trainBudget = budget - probe.seconds;
    for (let e = 0; e < options.epochs; e++) {
      if (e > 0) {
        // Keep to the budget on a busy machine: size the remaining epochs by the time left.
        const left = trainBudget - (Date.now() - trainStart) / 1000;
        const last = session.history[session.history.length - 1];
        if (last && last.tokensPerSecond > 0) session.limitCorpus((last.tokensPerSecond * Math.max(1, left)) / (options.epochs - e));
      }
      const bar = new cliProgress.SingleBar(
        {
          format: `epoch ${e + 1}/${options.epochs} [{bar}] {value}/{total} batches | loss {loss} | {tps} tokens/s`,
          hideCursor: true,
          clearOnComplete: true,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      );
      if (tty) bar.start(session.batchesPerEpoch, 0, { loss: '-', tps: '-' });
      const stats = await session.trainEpoch({
        onBatch: (p) => {
          batchPerplexity.push(Math.exp(p.loss));
          if (tty) bar.update(p.batch, { loss: p.loss.toFixed(3), tps: formatInt(p.tokensPerSecond) });
        },
      });
      if (tty) bar.stop();
      // The probe counted as epoch 0 in the session's numbering; report 1..N.
      write(`${epochLine({ ...stats, epoch: e + 1 }, options.epochs)}\n`);
      if (!Number.isFinite(stats.loss)) throw new Error(`the loss became ${stats.loss} in epoch ${e + 1}; try a smaller --lr`);
    }
    write(`\n${plotCurve('training perplexity (per batch, averaged)', batchPerplexity)}\n`);

    const out = resolve(options.out);
    await mkdir(resolve(out, '..'), { recursive: true });
    // The directory holds exactly this model: no stale files of an earlier `train` run.
    await writeCheckpointFiles(out, modelCheckpointFiles(session.model, session.checkpointMeta()), { replace: true });

    // One seed per sample: with a shared seed the same random draws would pull every prefix's
    // continuation onto the same text once the state has forgotten the prefix.
    let sample = 0;
    for (const temperature of options.temperature) {
      write(`--- temperature ${temperature} ---\n`);
      for (const prefix of options.prefix) {
        const text = await session.generate(prefix, { tokens: options.tokens, temperature, seed: options.seed * 1000 + sample++ });
        write(`${text.replace(/\s+$/u, '')}\n\n`);
      }
    }
    write(`checkpoint saved to ${out}\n`);
    write(`try: pnpm recurrent generate --checkpoint ${out} --prefix "Call me" --tokens 200 --temperature 0.7\n`);
    write(`done in ${formatSeconds((Date.now() - wall) / 1000)}\n`);
  } finally {
    session.dispose();
  }
}
