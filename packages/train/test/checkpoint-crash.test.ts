// Crashes that are real: a child process saving checkpoints is killed with SIGKILL in the middle
// of a write (no exception, no cleanup runs in it). The previous checkpoint must load whole, and
// the next run (a read or a save) removes what the killed writer left (`<dir>.tmp-<pid>-…`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, memorySnapshot, tf } from '@recurrent/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSource } from '../../../scripts/test/bundle-source';
import { loadCheckpoint, saveCheckpoint } from '../src/node';

let child = '';
let cleanup: () => Promise<void> = async () => {};
let root = '';
beforeAll(async () => {
  await init();
  ({ file: child, cleanup } = await bundleSource(fileURLToPath(new URL('./crash-child.ts', import.meta.url)), 'crash-child'));
  root = await mkdtemp(join(tmpdir(), 'recurrent-crash-'));
});
afterAll(async () => {
  await cleanup();
  await rm(root, { recursive: true, force: true });
});

/** Starts the child; resolves with it once its stdout has printed `line` (and every line so far). */
function startUntil(args: string[], line: RegExp): Promise<{ proc: ChildProcess; lines: string[]; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let err = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => proc.on('exit', (code, signal) => done({ code, signal })));
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    let buffer = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const l of parts) {
        lines.push(l);
        if (line.test(l)) resolve({ proc, lines, exited });
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`the child exited (${code ?? signal}) before printing ${line}: ${err}`)));
  });
}

async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dirname(dir))).filter((n) => n.startsWith(`${basename(dir)}.`));
}

describe('a checkpoint write killed with SIGKILL', () => {
  it('after the new directory is assembled, before the swap: the previous checkpoint loads, the next save cleans up', async () => {
    const dir = join(root, 'hang');
    const { proc, exited } = await startUntil(['hang', dir], /^assembled 2$/);
    proc.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    const left = await leftovers(dir);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(new RegExp(`^hang\\.tmp-${proc.pid}-`));
    expect((await readdir(join(dirname(dir), left[0]!))).sort()).toEqual(['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer.json']);

    // The previous checkpoint, whole: step 1 (loading also removes the dead writer's leftover).
    const before = memorySnapshot().numTensors;
    const loaded = await loadCheckpoint(dir);
    expect(loaded.trainer?.step).toBe(1);
    expect(await leftovers(dir)).toEqual([]);
    // The next save goes through as usual and leaves nothing beside the directory.
    await saveCheckpoint(dir, { model: loaded.model, optimizer: undefined, trainer: loaded.trainer!, tokenizer: loaded.config.tokenizer, vocab: loaded.config.vocab });
    expect(await leftovers(dir)).toEqual([]);
    tf.dispose(Object.values(loaded.optimizer!.tensors));
    loaded.model.dispose();
    expect(memorySnapshot().numTensors).toBe(before);
  });

  it('while it writes, save after save: every time a whole checkpoint loads and the next run leaves no leftover', async () => {
    const dir = join(root, 'loop');
    let withLeftovers = 0;
    let midSwap = 0;
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const { proc, exited, lines } = await startUntil(['loop', dir], /^saved [2-9]/);
      // Kill it as soon as its next write shows (its new directory appears beside the checkpoint),
      // a few milliseconds into it at most, at a different moment each round.
      const writing = `${basename(dir)}.tmp-${proc.pid}-`;
      const deadline = Date.now() + 10_000;
      while (!(await readdir(root)).some((n) => n.startsWith(writing)) && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, round));
      proc.kill('SIGKILL');
      expect((await exited).signal).toBe('SIGKILL');
      const last = Number(lines.at(-1)!.split(' ')[1]);
      const left = await leftovers(dir);
      if (left.length > 0) withLeftovers++;
      if (left.some((n) => n.endsWith('.old'))) midSwap++;
      const loaded = await loadCheckpoint(dir);
      // The last one saved before the kill, or the one being written if its swap had happened.
      expect(loaded.trainer!.step).toBeGreaterThanOrEqual(last);
      expect(loaded.optimizer!.scalars.steps.every((s) => s === loaded.trainer!.step)).toBe(true);
      expect(await leftovers(dir)).toEqual([]);
      tf.dispose(Object.values(loaded.optimizer!.tensors));
      loaded.model.dispose();
    }
    console.log(`crash test: ${rounds} kills while writing, ${withLeftovers} left a half-written directory (${midSwap} between the two renames of the swap)`);
    expect(withLeftovers).toBeGreaterThan(0);
  });
});
