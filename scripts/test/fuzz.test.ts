// Fuzzing (fast-check) over the targets of fuzz-targets.ts. Every input must end in a result or in
// one of our typed errors (a `RecurrentError`; nothing for text to tokenize), within a time bound
// (2 s plus 2 ms per KB: no hang), taking no more memory than a small multiple of its size plus
// 32 MB (a header that claims 2^40 bytes allocates nothing), and leaving no tensor behind.
// `pnpm test` runs each target with a fixed seed and a few hundred inputs; `pnpm fuzz` runs them
// for a time with a random seed (RECURRENT_FUZZ_SEED, RECURRENT_FUZZ_SECONDS, RECURRENT_FUZZ_TARGET)
// and prints the seed of any failure.
import fc from 'fast-check';
import { RecurrentError, init, tf } from '@recurrent/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, validFiles, type FuzzTarget } from './fuzz-targets';

const FIXED_SEED = 20261206;
const seed = Number(process.env.RECURRENT_FUZZ_SEED ?? FIXED_SEED);
const seconds = Number(process.env.RECURRENT_FUZZ_SECONDS ?? 0);
const only = process.env.RECURRENT_FUZZ_TARGET;
const targets = TARGETS.filter((t) => !only || t.name === only || t.name.replaceAll(' ', '-') === only);
const SLACK_BYTES = 32 * 2 ** 20;

/** Runs one input and checks its outcome; throws (failing the property) with why. */
async function check(t: FuzzTarget, input: unknown): Promise<void> {
  const size = t.size(input);
  const tensors = tf.memory().numTensors;
  const before = process.memoryUsage();
  const t0 = performance.now();
  let error: unknown;
  try {
    await t.run(input);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  if (error !== undefined && (t.neverThrows || !RecurrentError.isInstance(error))) {
    throw new Error(`${t.name}: ${t.neverThrows ? 'threw' : 'threw an untyped error'}: ${(error as Error)?.stack ?? String(error)}`);
  }
  const limitMs = 2000 + size / 512;
  if (ms > limitMs) throw new Error(`${t.name}: took ${ms.toFixed(0)} ms on a ${size}-byte input (limit ${limitMs.toFixed(0)} ms)`);
  const grew = Math.max(0, after.arrayBuffers - before.arrayBuffers) + Math.max(0, after.heapUsed - before.heapUsed);
  const limitBytes = t.multiple * size + SLACK_BYTES;
  if (grew > limitBytes) throw new Error(`${t.name}: memory grew by ${grew} bytes on a ${size}-byte input (limit ${limitBytes})`);
  const leaked = tf.memory().numTensors - tensors;
  if (leaked !== 0) throw new Error(`${t.name}: ${leaked} tensors left behind`);
}

const counts: { name: string; inputs: number; seconds: number }[] = [];

beforeAll(async () => {
  await init();
  validFiles();
});

afterAll(() => {
  const mode = seconds > 0 ? `${seconds} s` : 'fixed counts';
  console.log(`fuzz (seed ${seed}, ${mode}): ${counts.map((c) => `${c.name} ${c.inputs} inputs in ${c.seconds.toFixed(1)} s`).join('; ')}`);
});

describe(`fuzz (seed ${seed})`, () => {
  for (const t of targets) {
    it(`${t.name}: typed errors only, bounded time and memory, no tensor left`, async () => {
      let inputs = 0;
      const started = performance.now();
      let lastYield = started;
      const property = fc.asyncProperty(t.arbitrary, async (input) => {
        inputs++;
        // Most inputs finish without awaiting anything real: give the event loop a turn now and
        // then, or the test runner's own messages (its worker's heartbeat) wait for minutes.
        if (performance.now() - lastYield > 200) {
          await new Promise((r) => setImmediate(r));
          lastYield = performance.now();
        }
        await check(t, input);
      });
      const budget = seconds > 0 ? (seconds * 1000) / targets.length : 0;
      const params: fc.Parameters<[unknown]> = budget > 0 ? { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: budget, markInterruptAsFailure: false } : { seed, numRuns: t.runs };
      if (t.examples) params.examples = t.examples.map((e) => [e]);
      try {
        await fc.assert(property, params);
      } catch (error) {
        console.error(`fuzz: '${t.name}' failed with seed ${seed}; run it again with: pnpm fuzz --seed ${seed} --target ${t.name.replaceAll(' ', '-')}`);
        throw error;
      } finally {
        counts.push({ name: t.name, inputs, seconds: (performance.now() - started) / 1000 });
      }
      expect(inputs).toBeGreaterThan(0);
    });
  }
});
