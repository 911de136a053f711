// Beyond one machine, end to end: PyTorch's DistributedDataParallel (torchrun, 2 processes, gloo)
// trains a model with examples/pytorch/train_ddp.py, and this CLI serves it; then the other way,
// a checkpoint this CLI trains is fine-tuned by DDP and served again. Each time the Python side
// reads the checkpoint files back and writes the greedy text and perplexity plain PyTorch computes
// (expected.json); `recurrent generate` must print the same text, `recurrent eval` the same
// perplexity within 1e-4 relative. Without a python3 that has PyTorch the tests are skipped, and
// the reason is printed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, parseSafetensors, tf } from '@recurrent/core';
import { loadMobyDick } from '@recurrent/datasets';
import { generatorFromCheckpointFiles } from '@recurrent/generate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recurrentInProcess } from './run-cli';

const here = dirname(fileURLToPath(import.meta.url));
const EXAMPLES = resolve(here, '../../../examples/pytorch');
const TRAIN_DDP = join(EXAMPLES, 'train_ddp.py');
const REFERENCE = join(EXAMPLES, 'recurrent_torch.py');
const PROCESS_TIMEOUT_MS = 180_000;

/** The first python3 that imports torch with gloo: $RECURRENT_TORCH_PYTHON, Debian's, then PATH's. */
function findTorchPython(): { python: string; version: string } | { reason: string } {
  const candidates = [process.env.RECURRENT_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  const tried: string[] = [];
  for (const python of [...new Set(candidates)]) {
    const r = spawnSync(python, ['-c', 'import torch, torch.distributed as d; assert d.is_available() and d.is_gloo_available(), "no gloo"; print(torch.__version__)'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`);
    tried.push(`${python} (${why})`);
  }
  return { reason: `no python3 with PyTorch's torch.distributed (gloo): tried ${tried.join('; ')}. Install it with: apt-get install -y python3-torch` };
}

const found = findTorchPython();
const python = 'python' in found ? found.python : '';
if (!('python' in found)) console.warn(`PyTorch DDP tests skipped: ${found.reason}`);

interface Expected {
  greedy: { prefix: string; numTokens: number; text: string; minMargin: number }[];
  logits: { prefix: string; firstStep: number[] };
  eval: { corpus: string; batchSize: number; numSteps: number; sampler: string; perplexity: number };
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs a command to its end (never through a shell), with a time limit. */
function exec(cmd: string, args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: PROCESS_TIMEOUT_MS, killSignal: 'SIGKILL' });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, err }));
  });
}

/** Runs a command and returns its stdout; a failure shows its output. */
async function execOk(cmd: string, args: string[]): Promise<string> {
  const r = await exec(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}\n${r.out}\n${r.err}`);
  return r.out;
}

/** A free TCP port for the rendezvous (--standalone always takes 29400, which parallel runs would share). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/**
 * `torchrun --nproc_per_node 2 --redirects 1 --tee 1 train_ddp.py ARGS`, through the python that
 * has torch (`-m torch.distributed.run` is torchrun). `--redirects 1 --tee 1`: Debian's PyTorch
 * 1.13 under Python 3.11 fails in torchrun's default log redirection.
 */
async function torchrun(args: string[]): Promise<string> {
  const port = await freePort();
  const launcher = ['-m', 'torch.distributed.run', '--nnodes', '1', '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', String(port)];
  return execOk(python, [...launcher, '--redirects', '1', '--tee', '1', TRAIN_DDP, ...args]);
}

/** The `recurrent` CLI in-process, with its output captured: exit code and stdout/stderr. */
const recurrent = recurrentInProcess;

async function recurrentOk(argv: string[]): Promise<string> {
  const r = await recurrent(argv);
  if (r.code !== 0) throw new Error(`recurrent ${argv.join(' ')} exited with ${r.code}: ${r.err}`);
  return r.out;
}

/** Python: load a checkpoint with recurrent_torch and save it again; prints which safetensors writer ran. */
const RESAVE = [
  'import sys',
  'sys.path.insert(0, sys.argv[1])',
  'import recurrent_torch as rt',
  'model, vocab, config = rt.load_checkpoint(sys.argv[2])',
  "rt.save_checkpoint(model, vocab, config['tokenizer'], sys.argv[3])",
  'try:\n    import safetensors\n    print("safetensors package")\nexcept ImportError:\n    print("own writer")',
].join('\n');

/** Each tensor's dtype, shape and values, whatever the order of the header. */
function tensorBytes(file: Uint8Array): Record<string, { dtype: string; shape: number[]; data: number[] }> {
  const { tensors } = parseSafetensors(file);
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as Float32Array) }]));
}

const relative = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** What the report prints at the end (numbers for the guide; never asserted as speed). */
const notes: string[] = [];

/**
 * Serves the checkpoint with Recurrent and compares with the Python side's expected.json:
 * `generate` prints each greedy text exactly, `eval --json` the perplexity within 1e-4 relative,
 * and the browser loader (`generatorFromCheckpointFiles`, from the two files' bytes) gives the
 * same text and first-step logits.
 */
async function readExpected(dir: string): Promise<Expected> {
  return JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as Expected;
}

async function compareWithPyTorch(label: string, dir: string, corpus: string): Promise<Expected> {
  const expected = await readExpected(dir);
  expect(expected.greedy.length).toBeGreaterThan(0);
  for (const g of expected.greedy) {
    const printed = await recurrentOk(['generate', '--checkpoint', dir, '--prefix', g.prefix, '--tokens', String(g.numTokens)]);
    expect(printed, `greedy text after ${JSON.stringify(g.prefix)} (PyTorch's smallest top-2 margin ${g.minMargin})`).toBe(`${g.text}\n`);
  }
  const ev = expected.eval;
  const ours = JSON.parse(await recurrentOk(['eval', '--checkpoint', dir, '--corpus', corpus, '--batch', String(ev.batchSize), '--steps', String(ev.numSteps), '--json'])) as {
    perplexity: number;
  };
  const rel = relative(ours.perplexity, ev.perplexity);
  expect(rel, `perplexity: Recurrent ${ours.perplexity}, PyTorch ${ev.perplexity}`).toBeLessThan(1e-4);

  const before = tf.memory().numTensors;
  const browser = generatorFromCheckpointFiles(await readFile(join(dir, 'config.json'), 'utf8'), new Uint8Array(await readFile(join(dir, 'model.safetensors'))));
  try {
    const g = expected.greedy[0]!;
    expect((await browser.generator.generate(g.prefix, { maxTokens: g.numTokens })).text).toBe(g.text);
    const logits = await browser.generator.firstStepLogits(expected.logits.prefix);
    const maxDiff = Math.max(...expected.logits.firstStep.map((v, i) => Math.abs(v - logits[i]!)));
    expect(maxDiff, 'first-step logits').toBeLessThan(1e-4);
    notes.push(`${label}: greedy ${JSON.stringify(g.text)} (margin ${g.minMargin.toPrecision(3)}); perplexity PyTorch ${ev.perplexity}, Recurrent ${ours.perplexity} (relative ${rel.toExponential(2)}); first-step logits max |diff| ${maxDiff.toExponential(2)}`);
  } finally {
    browser.dispose();
  }
  expect(tf.memory().numTensors).toBe(before);
  return expected;
}

describe.skipIf(!('python' in found))('PyTorch DDP <-> Recurrent', () => {
  let dir: string;
  let charCorpus: string;
  let wordCorpus: string;
  let tricky: string;
  const started = performance.now();

  beforeAll(async () => {
    await init();
    dir = await mkdtemp(join(tmpdir(), 'recurrent-ddp-'));
    const moby = await loadMobyDick();
    charCorpus = join(dir, 'moby-char.txt');
    wordCorpus = join(dir, 'moby-word.txt');
    tricky = join(dir, 'tricky.txt');
    await writeFile(charCorpus, moby.slice(0, 24_000));
    await writeFile(wordCorpus, moby.slice(24_000, 40_000));
    // A BOM, CRLF, accents (precomposed and combining), CJK, an emoji, and the whitespace where
    // JavaScript and Python disagree unless handled: U+001C and U+0085 split words for Python's
    // str.split(), U+FEFF inside a line does not.
    await writeFile(
      tricky,
      `\ufeff${moby.slice(0, 3000)}\r\nÜber café, cafe\u0301 北京 😀 tab\tsep\x1cfs\x85nel\u00a0nbsp\u3000ideo zero\ufeffwidth\r\n\nEND 1898 -- x\n`,
    );
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    notes.push(`${'python' in found ? `torch ${found.version}; ` : ''}whole suite ${((performance.now() - started) / 1000).toFixed(1)} s`);
    console.info(`PyTorch DDP <-> Recurrent:\n  ${notes.join('\n  ')}`);
  });

  it('builds the same vocabulary as `recurrent corpus`, token for token (char/word, d2l/none)', async () => {
    const cases = (['char', 'word'] as const).flatMap((level) => (['d2l', 'none'] as const).map((preprocess) => ({ level, preprocess })));
    await Promise.all(
      cases.map(async ({ level, preprocess }) => {
        const flags = [tricky, '--level', level, '--preprocess', preprocess, '--vocab'];
        const torch = JSON.parse(await execOk(python, [REFERENCE, 'corpus', ...flags]));
        const ours = JSON.parse(await recurrentOk(['corpus', ...flags]));
        expect(torch, `${level} ${preprocess}`).toEqual(ours);
        expect(ours.vocab.length).toBe(ours.vocabSize);
      }),
    );
  });

  const lstmFlags = (out: string): string[] => [
    ...['--corpus', charCorpus, '--level', 'char', '--preprocess', 'd2l', '--cell', 'lstm', '--hidden', '32'],
    ...['--batch', '8', '--steps', '16', '--optimizer', 'adam', '--lr', '0.01', '--clip', '1', '--epochs', '2', '--seed', '0'],
    ...['--out', out, '--prefix', 'call me ishmael', '--prefix', 'the whale', '--tokens', '40'],
  ];

  it('DDP (2 processes) trains an LSTM; Recurrent generates the same text and perplexity', async () => {
    const out = join(dir, 'ddp-lstm');
    const log = await torchrun(lstmFlags(out));
    expect(log).toMatch(/over 2 processes \(gloo, 4 rows each\)/);
    const epochs = [...log.matchAll(/epoch (\d)\/2 perplexity ([\d.]+)/g)].map((m) => Number(m[2]));
    expect(epochs).toHaveLength(2);
    expect(epochs[1]!).toBeLessThan(epochs[0]!);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    expect(config.trainedWith).toEqual({ engine: 'torch.distributed', backend: 'gloo', worldSize: 2 });
    await compareWithPyTorch('DDP lstm one-hot char d2l', out, charCorpus);
  });

  it('two processes with 4 rows each train the model that one process with all 8 rows does', async () => {
    const one = join(dir, 'one-process');
    const log = await execOk(python, [TRAIN_DDP, ...lstmFlags(one)]); // no torchrun: one process
    expect(log).toMatch(/over 1 processes \(gloo, 8 rows each\)/);
    const [single, two] = [await readExpected(one), await readExpected(join(dir, 'ddp-lstm'))];
    expect(single.greedy.map((g) => g.text)).toEqual(two.greedy.map((g) => g.text));
    const rel = relative(single.eval.perplexity, two.eval.perplexity);
    expect(rel, 'the same steps up to the order of float sums').toBeLessThan(1e-4);
    notes.push(`1 process x 8 rows vs 2 processes x 4 rows: same greedy text, perplexity ${single.eval.perplexity} vs ${two.eval.perplexity} (relative ${rel.toExponential(2)})`);
  });

  it('Recurrent trains a 2-layer GRU with an embedding; DDP fine-tunes it; both sides still agree', async () => {
    const ours = join(dir, 'recurrent-gru');
    const trainFlags = ['--level', 'word', '--preprocess', 'none', '--cell', 'gru', '--embedding', '8', '--layers', '2', '--hidden', '24', '--batch', '4', '--steps', '8'];
    await recurrentOk(['train', '--corpus', wordCorpus, ...trainFlags, '--optimizer', 'adam', '--lr', '0.01', '--epochs', '1', '--seed', '1', '--out', ours, '--no-progress']);
    const ourConfig = JSON.parse(await readFile(join(ours, 'config.json'), 'utf8'));
    expect(ourConfig).not.toHaveProperty('trainedWith');

    // PyTorch reads Recurrent's checkpoint strictly and writes the same files back.
    const resaved = join(dir, 'torch-resaved');
    const writer = (await execOk(python, ['-c', RESAVE, EXAMPLES, ours, resaved])).trim();
    expect(await readFile(join(resaved, 'config.json'), 'utf8')).toBe(await readFile(join(ours, 'config.json'), 'utf8'));
    const [mine, theirs] = [await readFile(join(ours, 'model.safetensors')), await readFile(join(resaved, 'model.safetensors'))];
    if (writer === 'own writer') expect(Buffer.compare(theirs, mine), 'model.safetensors bytes').toBe(0);
    else expect(tensorBytes(theirs)).toEqual(tensorBytes(mine)); // the safetensors package may order the header differently
    notes.push(`PyTorch (${writer}) re-saves Recurrent's checkpoint: config.json identical, model.safetensors ${writer === 'own writer' ? 'byte for byte' : 'tensor for tensor'}`);

    // ... and continues a prefix with the same words.
    const prefix = 'the sea';
    const torchText = JSON.parse(await execOk(python, [REFERENCE, 'generate', '--checkpoint', ours, '--prefix', prefix, '--tokens', '12', '--json'])) as { text: string };
    expect(await recurrentOk(['generate', '--checkpoint', ours, '--prefix', prefix, '--tokens', '12'])).toBe(`${torchText.text}\n`);

    const tuned = join(dir, 'ddp-tuned');
    const log = await torchrun([
      ...['--corpus', wordCorpus, '--init', ours, '--batch', '4', '--steps', '8', '--optimizer', 'sgd', '--lr', '0.5', '--clip', '1', '--epochs', '1', '--seed', '2'],
      ...['--out', tuned, '--prefix', prefix, '--tokens', '12'],
    ]);
    expect(log).toContain(`from ${ours}`);
    const config = JSON.parse(await readFile(join(tuned, 'config.json'), 'utf8'));
    expect(config.trainedWith).toEqual({ engine: 'torch.distributed', backend: 'gloo', worldSize: 2 });
    expect({ ...config, trainedWith: undefined }).toEqual({ ...ourConfig, trainedWith: undefined }); // same model and vocabulary
    expect(Buffer.compare(await readFile(join(tuned, 'model.safetensors')), await readFile(join(ours, 'model.safetensors')))).not.toBe(0); // it trained
    await compareWithPyTorch('Recurrent gru embedding x2 word none -> DDP fine-tune', tuned, wordCorpus);
  });

  it('refuses flags that contradict the --init checkpoint, in one line', async () => {
    const r = await exec(python, [TRAIN_DDP, '--corpus', wordCorpus, '--init', join(dir, 'recurrent-gru'), '--cell', 'lstm', '--epochs', '1', '--batch', '4', '--steps', '8']);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe(`train_ddp: '--cell' is 'lstm' but the --init checkpoint has 'gru' (leave the flag out)`);
  });
});
