import { assertNoLeak, EmptyCorpusError, init, InvalidArgumentError, Random } from '@recurrent/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchToTensors, type Batch } from './batch';
import { randomBatches, sequentialBatches } from './stream-batches';

/** A corpus whose ids are their positions: a window's content tells where it was cut. */
const positions = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);
const row = (b: Batch, r: number, of: 'x' | 'y' = 'x'): number[] => Array.from(b[of].subarray(r * b.shape[1], (r + 1) * b.shape[1]));

describe('sequentialBatches (d2l seq_data_iter_sequential)', () => {
  it('splits the stream into batchSize rows and walks them numSteps at a time', () => {
    const batches = [...sequentialBatches(positions(20), { batchSize: 2, numSteps: 3, offset: 0 })];
    // 19 usable tokens -> 18 = 2 rows of 9 -> 3 batches of 3 columns.
    expect(batches).toHaveLength(3);
    expect(batches.map((b) => [row(b, 0), row(b, 1)])).toEqual([
      [[0, 1, 2], [9, 10, 11]],
      [[3, 4, 5], [12, 13, 14]],
      [[6, 7, 8], [15, 16, 17]],
    ]);
    expect(row(batches[2]!, 1, 'y')).toEqual([16, 17, 18]);
    expect(batches.every((b) => b.carryState && b.shape[0] === 2 && b.shape[1] === 3)).toBe(true);
    expect(batches.map((b) => b.index)).toEqual([0, 1, 2]);
  });

  it('continues every row from one batch to the next, y = x shifted by one (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 80 }), fc.integer(), (B, T, extra, seed) => {
        const n = T + 1 + B * T + extra;
        const sampler = sequentialBatches(positions(n), { batchSize: B, numSteps: T, seed });
        for (let epoch = 0; epoch < 2; epoch++) {
          const batches = [...sampler];
          const offset = batches[0]!.x[0]!;
          expect(offset).toBeGreaterThanOrEqual(0);
          expect(offset).toBeLessThanOrEqual(T);
          const S = Math.floor((n - offset - 1) / B);
          expect(batches).toHaveLength(Math.floor(S / T));
          expect(sampler.numBatches(offset)).toBe(batches.length);
          batches.forEach((b, k) => {
            for (let r = 0; r < B; r++) {
              const x = row(b, r);
              expect(x[0]).toBe(offset + r * S + k * T); // row r continues where batch k-1 stopped
              expect(row(b, r, 'y')).toEqual(x.map((v) => v + 1));
              x.forEach((v, t) => expect(v).toBe(x[0]! + t));
            }
          });
        }
      }),
      { numRuns: 80 },
    );
  });

  it('draws offsets in 0 … numSteps inclusive by default, and in 0 … maxOffset when given', () => {
    const seen = (maxOffset?: number): Set<number> => {
      const s = sequentialBatches(positions(100), { batchSize: 2, numSteps: 3, random: new Random(1), ...(maxOffset === undefined ? {} : { maxOffset }) });
      const out = new Set<number>();
      for (let e = 0; e < 200; e++) out.add(s.epoch().next().value!.x[0]!);
      return out;
    };
    expect([...seen()].sort()).toEqual([0, 1, 2, 3]);
    expect([...seen(1)].sort()).toEqual([0, 1]);
    expect([...seen(0)]).toEqual([0]);
  });

  it('is reproducible from a seed and async-iterable', async () => {
    const a: number[][] = [];
    for await (const b of sequentialBatches(positions(200), { batchSize: 4, numSteps: 5, seed: 7 })) a.push(Array.from(b.x));
    const b = [...sequentialBatches(positions(200), { batchSize: 4, numSteps: 5, seed: 7 })].map((x) => Array.from(x.x));
    expect(a).toEqual(b);
  });
});

describe('randomBatches (d2l seq_data_iter_random)', () => {
  it('uses each window at most once per epoch, windows aligned on the offset (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 80 }), fc.integer(), (B, T, extra, seed) => {
        const n = T + B * T + extra;
        const sampler = randomBatches(positions(n), { batchSize: B, numSteps: T, seed });
        for (let epoch = 0; epoch < 2; epoch++) {
          const starts: number[] = [];
          for (const b of sampler) {
            expect(b.carryState).toBe(false);
            for (let r = 0; r < B; r++) {
              const x = row(b, r);
              x.forEach((v, t) => expect(v).toBe(x[0]! + t));
              expect(row(b, r, 'y')).toEqual(x.map((v) => v + 1));
              starts.push(x[0]!);
            }
          }
          const offset = Math.min(...starts) % T;
          expect(offset).toBeLessThanOrEqual(T - 1);
          expect(new Set(starts).size).toBe(starts.length);
          starts.forEach((s) => expect((s - offset) % T).toBe(0));
          const numSubseqs = Math.floor((n - offset - 1) / T);
          expect(starts.length).toBe(Math.floor(numSubseqs / B) * B);
          expect(sampler.numBatches(offset) * B).toBe(starts.length);
          starts.forEach((s) => expect(s + T).toBeLessThanOrEqual(n - 1));
        }
      }),
      { numRuns: 80 },
    );
  });

  it('shuffles: the windows come in a different order in different epochs', () => {
    const s = randomBatches(positions(1000), { batchSize: 1, numSteps: 5, offset: 0, seed: 3 });
    const e1 = [...s].map((b) => b.x[0]);
    const e2 = [...s].map((b) => b.x[0]);
    expect(e1).not.toEqual(e2);
    expect([...e1].sort((a, b) => a! - b!)).toEqual([...e2].sort((a, b) => a! - b!));
  });
});

describe('bad input', () => {
  const ids = positions(50);
  it('refuses an empty corpus, zero or fractional sizes, and shapes too large for the corpus', () => {
    for (const sampler of [randomBatches, sequentialBatches]) {
      expect(() => sampler([], { batchSize: 1, numSteps: 1 })).toThrow(EmptyCorpusError);
      expect(() => sampler(ids, { batchSize: 0, numSteps: 2 })).toThrow(`${sampler.name}: 'batchSize' must be a positive integer, got 0`);
      expect(() => sampler(ids, { batchSize: 2, numSteps: 0 })).toThrow(InvalidArgumentError);
      expect(() => sampler(ids, { batchSize: 2, numSteps: 2.5 })).toThrow(InvalidArgumentError);
      expect(() => sampler(ids, { batchSize: 7, numSteps: 7 })).toThrow(EmptyCorpusError);
      expect(() => sampler(ids, { batchSize: 1, numSteps: 60 })).toThrow(/at least 12\d tokens.*got "50 tokens"/);
      expect(() => sampler(ids, { batchSize: 1, numSteps: 2, offset: -1 })).toThrow(InvalidArgumentError);
      expect(() => sampler(ids, { batchSize: 1, numSteps: 2, offset: 0, maxOffset: 1 })).toThrow(InvalidArgumentError);
      expect(() => sampler([0, 1, -2, 3], { batchSize: 1, numSteps: 1 })).toThrow("'corpus[2]' must be a non-negative integer token id");
    }
    // The boundary: exactly offset + 1 + B*T tokens is enough.
    expect([...sequentialBatches(positions(1 + 3 * 4), { batchSize: 3, numSteps: 4, offset: 0 })]).toHaveLength(1);
    expect([...randomBatches(positions(4 + 3 * 4), { batchSize: 3, numSteps: 4 })]).toHaveLength(1);
  });
});

describe('batchToTensors', () => {
  beforeAll(async () => {
    await init();
  });

  it('makes int32 [B, T] tensors of x and y without leaking', async () => {
    const batch = [...sequentialBatches(positions(30), { batchSize: 2, numSteps: 4, offset: 0 })][1]!;
    const t = batchToTensors(batch);
    expect(t.x.shape).toEqual([2, 4]);
    expect(t.x.dtype).toBe('int32');
    expect(await t.y.array()).toEqual([[5, 6, 7, 8], [19, 20, 21, 22]]);
    t.x.dispose();
    t.y.dispose();
    await assertNoLeak(() => {
      const u = batchToTensors(batch);
      u.x.dispose();
      u.y.dispose();
    }, { runs: 2, label: 'batchToTensors' });
  });
});
