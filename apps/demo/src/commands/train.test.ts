import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { runCli, type CliOutput } from '../program';
import { registerEvalCommand, runEval } from './eval';
import { registerTrainCommand, runTrain, type TrainCommandOptions } from './train';
import { checkArrangement, chooseArrangement } from '../lib/arrangement';
// The data-parallel worker script, built from source as train's own tests build it.
import { bundleWorker } from '../../../../packages/train/test/worker-bundle';

let dir: string;
let corpus: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recurrent-train-cli-'));
  corpus = join(dir, 'corpus.txt');
  await writeFile(corpus, 'The Time Traveller (for so it will be convenient to speak of him)\nwas expounding a recondite matter to us. His grey eyes shone and\ntwinkled, and his usually pale face was flushed and animated.\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture(): CliOutput & { text: () => string } {
  let out = '';
  return { out: (s) => void (out += s), err: (s) => void (out += s), text: () => out };
}

const base: TrainCommandOptions = {
  corpus: '',
  level: 'char',
  preprocess: 'd2l',
  cell: 'gru',
  hidden: 8,
  layers: 1,
  batch: 2,
  steps: 5,
  sampler: 'sequential',
  optimizer: 'adam',
  lr: 0.01,
  clip: 1,
  epochs: 3,
  seed: 0,
  progress: false,
};

describe('recurrent train / eval', () => {
  it('prints one perplexity line per epoch, and a resumed run prints what an uninterrupted one does', async () => {
    const full = capture();
    const h1 = await runTrain({ ...base, corpus }, full);
    const lines = full.text().split('\n').filter((l) => l.startsWith('epoch'));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/perplexity \d+\.\d+ tokens\/s \d+/);

    const out = join(dir, 'ckpt');
    await runTrain({ ...base, corpus, epochs: 2, out }, capture());
    const resumed = capture();
    const h2 = await runTrain({ ...base, corpus, epochs: 3, resume: out, out }, resumed);
    expect(resumed.text()).toMatch(/resuming after epoch 2/);
    expect(h2.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(h2.map((h) => h.loss)).toEqual(h1.map((h) => h.loss));

    const ev = capture();
    const r = await runEval({ checkpoint: out, corpus, batch: 2, steps: 5 }, ev);
    expect(ev.text()).toMatch(/^perplexity \d+\.\d{4} /);
    expect(r.perplexity).toBeCloseTo(Math.exp(r.loss), 10);
    expect(r.perplexity).toBeLessThan(28);
    const json = capture();
    await runEval({ checkpoint: out, corpus, batch: 2, steps: 5, json: true }, json);
    expect(JSON.parse(json.text())).toEqual({ perplexity: r.perplexity, loss: r.loss, tokens: r.tokens }); // every digit
  });

  it('registers both commands with their flags; errors are typed', async () => {
    const program = new Command('recurrent');
    const out = capture();
    registerTrainCommand(program, out);
    registerEvalCommand(program, out);
    expect(await runCli(program, ['train', '--corpus', join(dir, 'missing.txt'), '--epochs', '1', '--no-progress'], out)).toBe(2);
    expect(out.text()).toMatch(/^recurrent: --corpus \S*missing\.txt: not found; give the path of a UTF-8 text file$/m);
    expect(await runCli(program, ['train', '--corpus', corpus, '--sampler', 'shuffled'], out)).toBe(2);
    expect(await runCli(program, ['eval', '--corpus', corpus], out)).toBe(2);
    const train = program.commands.find((c) => c.name() === 'train')!;
    const flags = train.options.map((o) => o.long);
    for (const f of ['--corpus', '--level', '--preprocess', '--cell', '--hidden', '--layers', '--embedding', '--batch', '--steps', '--sampler', '--optimizer', '--lr', '--clip', '--epochs', '--seed', '--out', '--resume', '--checkpoint-every', '--log-steps', '--threads', '--workers']) {
      expect(flags).toContain(f);
    }
  });

  it('runs on the pool: --threads 1 and --threads 2 print the same losses (the kernels give the same bits)', async () => {
    // hidden 64, batch 16: the sequence kernels are large enough to be cut between two threads
    const o = { ...base, corpus, hidden: 64, batch: 16, steps: 8, epochs: 2 };
    const one = capture();
    const h1 = await runTrain({ ...o, threads: 1 }, one);
    expect(one.text()).toMatch(/, one process on 1 thread\n/);
    const two = capture();
    const h2 = await runTrain({ ...o, threads: 2 }, two);
    expect(two.text()).toMatch(/, one process on 2 threads\n/);
    expect(h2.map((h) => h.loss)).toEqual(h1.map((h) => h.loss));
  });

  it('picks one process on the pool unless workers are asked for; data-parallel runs refuse --out and --resume', async () => {
    expect(chooseArrangement({}, 8)).toEqual({ kind: 'threads', threads: undefined });
    expect(chooseArrangement({ threads: 3 }, 8)).toEqual({ kind: 'threads', threads: 3 });
    expect(chooseArrangement({ workers: 1 }, 8)).toEqual({ kind: 'threads', threads: undefined });
    expect(chooseArrangement({ workers: 2 }, 8)).toEqual({ kind: 'data-parallel', workers: 2, threadsPerWorker: 4 });
    expect(chooseArrangement({ workers: 3, threads: 1 }, 2)).toEqual({ kind: 'data-parallel', workers: 3, threadsPerWorker: 1 });
    expect(() => checkArrangement(chooseArrangement({ workers: 2 }, 2), { out: 'x' })).toThrow(
      "train: '--workers' must be 1 with --out (checkpoints are written by the one-process arrangement), got 2",
    );
    await expect(runTrain({ ...base, corpus, workers: 2, resume: join(dir, 'none') }, capture())).rejects.toThrow(/'--workers' must be 1 with --resume/);
  });

  it('--workers 2 trains data-parallel, each worker on its own pool, to the losses of one process', async () => {
    const { url, cleanup } = await bundleWorker();
    try {
      const o = { ...base, corpus, hidden: 16, batch: 4, steps: 5, epochs: 2, optimizer: 'sgd' as const, lr: 1 };
      const one = await runTrain(o, capture());
      const out = capture();
      const dp = await runTrain({ ...o, workers: 2, threads: 1 }, out, { workerUrl: url });
      expect(out.text()).toMatch(/, data-parallel: 2 workers × 1 thread\n/);
      expect(out.text().split('\n').filter((l) => l.startsWith('epoch'))).toHaveLength(2);
      // The workers sum their rows' gradients: the same step as one process, up to float32 rounding.
      dp.forEach((h, i) => expect(h.loss).toBeCloseTo(one[i]!.loss, 4));
    } finally {
      await cleanup();
    }
  });
});
