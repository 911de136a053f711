// `recurrent train` stopped by a real signal, as a user's Ctrl-C or a scheduler's SIGTERM would
// stop it: the CLI (bundled from source) runs in a child process, the test sends the signal in
// the middle of an epoch, and the run is resumed with the command the CLI printed. The resumed
// run's loss curve (every step's loss, to the last bit), its final weights and optimizer state are
// those of a run that was never stopped.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random, init, tf } from '@recurrent/core';
import { loadCheckpoint } from '@recurrent/train/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSource } from '../../../scripts/test/bundle-source';

let cli = '';
let cleanup: () => Promise<void> = async () => {};
let dir = '';
let corpus = '';

beforeAll(async () => {
  await init();
  ({ file: cli, cleanup } = await bundleSource(fileURLToPath(new URL('../src/cli.ts', import.meta.url)), 'recurrent-cli'));
  dir = mkdtempSync(join(tmpdir(), 'recurrent-interrupt-'));
  corpus = join(dir, 'corpus.txt');
  const words = 'the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us his grey eyes shone and twinkled'.split(' ');
  const r = new Random(1);
  writeFileSync(corpus, `${Array.from({ length: 1500 }, () => words[r.int(words.length)]).join(' ')}\n`);
});
afterAll(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/**
 * Runs the CLI; `signals` are sent once the step log (`--log-steps`) has `after` lines (the run is
 * then inside an epoch); with `again`, the signal is sent a second time as soon as the CLI says it
 * is finishing the step.
 */
function recurrent(args: string[], stop?: { log: string; after: number; signals: NodeJS.Signals[]; again?: boolean }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    let repeated = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      // A second signal once the first has been seen (the run is finishing its step).
      if (stop?.again && !repeated && err.includes('finishing the current step')) {
        repeated = true;
        child.kill(stop.signals[0]);
      }
    });
    let timer: ReturnType<typeof setInterval> | undefined;
    if (stop) {
      timer = setInterval(() => {
        const lines = existsSync(stop.log) ? readFileSync(stop.log, 'utf8').split('\n').length - 1 : 0;
        if (lines < stop.after) return;
        clearInterval(timer);
        for (const s of stop.signals) child.kill(s);
      }, 2);
    }
    const limit = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      clearTimeout(limit);
      // Let the pipes drain.
      setTimeout(() => resolve({ code, signal, out, err }), 20);
    });
  });
}

const FLAGS = ['--hidden', '16', '--batch', '4', '--steps', '8', '--epochs', '2', '--optimizer', 'adam', '--lr', '0.01', '--seed', '1', '--no-progress'];
const strip = (history: { seconds?: number; tokensPerSecond?: number }[]) => history.map(({ seconds: _s, tokensPerSecond: _t, ...rest }) => rest);

describe('recurrent train interrupted by a signal', () => {
  it('SIGINT mid-epoch: checkpoints after the current step, says how to resume, exits 130; the resumed run equals the uninterrupted one bit for bit', async () => {
    const whole = join(dir, 'whole');
    const a = await recurrent(['train', '--corpus', corpus, ...FLAGS, '--out', whole, '--log-steps', join(dir, 'whole.jsonl')]);
    expect(a.code, a.err).toBe(0);
    const steps = readFileSync(join(dir, 'whole.jsonl'), 'utf8').trimEnd().split('\n');
    expect(steps.length).toBeGreaterThan(400); // two epochs of about 260 batches

    // Interrupted in epoch 2 (after step 300), with checkpoints every 50 steps besides.
    const ckpt = join(dir, 'stopped');
    const log = join(dir, 'stopped.jsonl');
    const b = await recurrent(['train', '--corpus', corpus, ...FLAGS, '--out', ckpt, '--checkpoint-every', '50', '--log-steps', log], { log, after: 300, signals: ['SIGINT'] });
    expect(b.code, b.err).toBe(130);
    const errLines = b.err.trimEnd().split('\n');
    expect(errLines[0]).toMatch(/^recurrent: SIGINT: finishing the current step, then writing a checkpoint \(Ctrl-C again quits at once\)$/);
    expect(errLines.at(-3)).toMatch(new RegExp(`^recurrent: stopped in epoch 2 after batch \\d+ of \\d+ \\(step \\d+\\); checkpoint written to ${ckpt}$`));
    expect(errLines.at(-1)).toBe(`recurrent: training interrupted by SIGINT; resume with --resume ${ckpt}`);
    expect(b.err).not.toMatch(/\n\s+at /);
    const stoppedAt = readFileSync(log, 'utf8').trimEnd().split('\n').length;
    expect(stoppedAt).toBeLessThan(steps.length);
    const saved = await loadCheckpoint(ckpt);
    expect(saved.trainer?.step).toBe(stoppedAt);
    expect(saved.trainer?.position?.epoch).toBe(2);
    expect(saved.carriedState?.h.shape).toEqual([1, 4, 16]);
    tf.dispose([...Object.values(saved.optimizer!.tensors), saved.carriedState!.h, saved.carriedState!.c!]);
    saved.model.dispose();

    // Resume with exactly the command the CLI printed.
    const printed = errLines.at(-2)!.replace(/^recurrent: resume with: recurrent /, '');
    expect(printed).toContain(`--resume ${ckpt}`);
    const c = await recurrent(printed.split(' '));
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(new RegExp(`resuming after batch \\d+ of epoch 2 \\(step ${stoppedAt}\\)`));

    // The loss curve: every step's loss, gradient norm and learning rate, bit for bit.
    expect(readFileSync(log, 'utf8').trimEnd().split('\n')).toEqual(steps);
    // The weights and the optimizer state, byte for byte; the epochs' losses exactly.
    for (const file of ['model.safetensors', 'optimizer.safetensors']) expect(readFileSync(join(ckpt, file)).equals(readFileSync(join(whole, file))), file).toBe(true);
    const hist = (d: string) => strip(JSON.parse(readFileSync(join(d, 'trainer.json'), 'utf8')).history);
    expect(hist(ckpt)).toEqual(hist(whole));
    expect(existsSync(join(ckpt, 'carried-state.safetensors'))).toBe(false); // a clean end-of-run checkpoint
  });

  it('SIGTERM: the same, with exit code 143; without --out the checkpoint goes to ./recurrent-checkpoint', async () => {
    const log = join(dir, 'term.jsonl');
    const r = await recurrent(['train', '--corpus', corpus, ...FLAGS, '--log-steps', log], { log, after: 40, signals: ['SIGTERM'] });
    expect(r.code, r.err).toBe(143);
    const target = join(dir, 'recurrent-checkpoint');
    expect(r.err).toMatch(new RegExp(`checkpoint written to ${target}\\n`));
    const saved = await loadCheckpoint(target);
    expect(saved.trainer?.position?.epoch).toBe(1);
    expect(saved.trainer?.step).toBe(readFileSync(log, 'utf8').trimEnd().split('\n').length);
    tf.dispose([...Object.values(saved.optimizer!.tensors), saved.carriedState!.h, saved.carriedState!.c!]);
    saved.model.dispose();
  });

  it('a second Ctrl-C quits at once; what is on disk stays loadable and the next run cleans up after it', async () => {
    const ckpt = join(dir, 'twice');
    const log = join(dir, 'twice-steps.jsonl');
    // A bigger model (slower steps, megabytes per checkpoint) and a checkpoint every step: the
    // second signal lands while the first is being honoured, often in the middle of a write.
    const big = ['--hidden', '192', '--layers', '2', '--batch', '16', '--steps', '16', '--epochs', '1', '--optimizer', 'adam', '--lr', '0.01', '--no-progress'];
    const r = await recurrent(['train', '--corpus', corpus, ...big, '--out', ckpt, '--checkpoint-every', '1', '--log-steps', log], { log, after: 3, signals: ['SIGINT'], again: true });
    expect(r.code, r.err).toBe(130);
    expect(r.err).toMatch(/recurrent: SIGINT again: quitting now/);
    expect(r.err).not.toMatch(/checkpoint written to/); // it did not wait for the save
    const saved = await loadCheckpoint(ckpt); // whole, whichever step it holds
    expect(saved.trainer!.step).toBeGreaterThanOrEqual(2);
    tf.dispose([...Object.values(saved.optimizer!.tensors), ...(saved.carriedState ? [saved.carriedState.h, saved.carriedState.c!] : [])]);
    saved.model.dispose();
    expect(readdirSync(dirname(ckpt)).filter((n) => n.startsWith(`${basename(ckpt)}.`))).toEqual([]);
    const again = await recurrent(['train', '--corpus', corpus, ...big, '--out', ckpt, '--resume', ckpt]);
    expect(again.code, again.err).toBe(0);
  });
});
