import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { runCli, type CliOutput } from '../program';
import { registerEvalCommand, runEval } from './eval';
import { registerTrainCommand, runTrain, type TrainCommandOptions } from './train';

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
    for (const f of ['--corpus', '--level', '--preprocess', '--cell', '--hidden', '--layers', '--embedding', '--batch', '--steps', '--sampler', '--optimizer', '--lr', '--clip', '--epochs', '--seed', '--out', '--resume', '--checkpoint-every', '--log-steps']) {
      expect(flags).toContain(f);
    }
  });
});
