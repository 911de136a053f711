import { EmptyCorpusError, InvalidArgumentError, Random } from '@recurrent/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paddedBatches } from './padded-batches';
import { trainValidSplit } from './split';

describe('paddedBatches', () => {
  const sentences = [[1, 2, 3, 4], [5, 6], [7, 8, 9]];

  it('pads each batch to its longest row, y shifted by one, mask on real targets', () => {
    const [b0, b1] = [...paddedBatches(sentences, { batchSize: 2, padId: 0, shuffle: false })];
    expect(b0!.shape).toEqual([2, 3]);
    expect(Array.from(b0!.x)).toEqual([1, 2, 3, 5, 0, 0]);
    expect(Array.from(b0!.y)).toEqual([2, 3, 4, 6, 0, 0]);
    expect(Array.from(b0!.mask!)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(Array.from(b0!.lengths!)).toEqual([3, 1]);
    expect(b0!.carryState).toBe(false);
    // The last, smaller batch is kept unless dropLast.
    expect(b1!.shape).toEqual([1, 2]);
    expect([...paddedBatches(sentences, { batchSize: 2, padId: 0, dropLast: true })]).toHaveLength(1);
    expect(paddedBatches(sentences, { batchSize: 2, padId: 0 }).numBatches()).toBe(2);
    expect(paddedBatches(sentences, { batchSize: 2, padId: 0, dropLast: true }).numBatches()).toBe(1);
  });

  it('pads and truncates to a fixed numSteps', () => {
    const [b] = [...paddedBatches(sentences, { batchSize: 3, padId: 9, numSteps: 2, shuffle: false })];
    expect(b!.shape).toEqual([3, 2]);
    expect(Array.from(b!.x)).toEqual([1, 2, 5, 9, 7, 8]);
    expect(Array.from(b!.y)).toEqual([2, 3, 6, 9, 8, 9]);
    expect(Array.from(b!.mask!)).toEqual([1, 1, 1, 0, 1, 1]);
  });

  it('yields every sentence exactly once per epoch, in a seeded shuffled order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(50), { minLength: 2, maxLength: 7 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (sents, B, seed) => {
        // Tag each sentence with its index as the first token to recognise it.
        const tagged = sents.map((s, i) => [i, ...s]);
        const seen: number[] = [];
        for (const b of paddedBatches(tagged, { batchSize: B, padId: 0, seed })) {
          const [rows, T] = b.shape;
          for (let r = 0; r < rows; r++) {
            const i = b.x[r * T]!;
            seen.push(i);
            const n = b.lengths![r]!;
            expect(n).toBe(tagged[i]!.length - 1);
            expect(Array.from(b.x.subarray(r * T, r * T + n))).toEqual(tagged[i]!.slice(0, -1));
            expect(Array.from(b.mask!.subarray(r * T, (r + 1) * T)).reduce((a, v) => a + v, 0)).toBe(n);
          }
        }
        expect([...seen].sort((a, b) => a - b)).toEqual(tagged.map((_, i) => i));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses bad input', () => {
    expect(() => paddedBatches([], { batchSize: 2, padId: 0 })).toThrow(EmptyCorpusError);
    expect(() => paddedBatches([[1]], { batchSize: 1, padId: 0 })).toThrow("'sentences[0]' must be an array of at least 2 token ids");
    expect(() => paddedBatches([[1, -1]], { batchSize: 1, padId: 0 })).toThrow(InvalidArgumentError);
    expect(() => paddedBatches(sentences, { batchSize: 0, padId: 0 })).toThrow(InvalidArgumentError);
    expect(() => paddedBatches(sentences, { batchSize: 1, padId: -1 })).toThrow(InvalidArgumentError);
    expect(() => paddedBatches(sentences, { batchSize: 1, padId: 0, numSteps: 0 })).toThrow(InvalidArgumentError);
    expect(() => paddedBatches(sentences, { batchSize: 4, padId: 0, dropLast: true })).toThrow(EmptyCorpusError);
  });
});

describe('trainValidSplit', () => {
  it('keeps the tail of a token stream for validation, without copying', () => {
    const ids = Int32Array.from({ length: 10 }, (_, i) => i);
    const { train, valid } = trainValidSplit(ids, { validFraction: 0.2 });
    expect(Array.from(train)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(valid)).toEqual([8, 9]);
    expect(valid.buffer).toBe(ids.buffer);
  });

  it('splits a list of sentences, shuffled when asked', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const plain = trainValidSplit(items);
    expect(plain.valid).toEqual([18, 19]);
    const shuffled = trainValidSplit(items, { validFraction: 0.5, shuffle: new Random(2) });
    expect([...shuffled.train, ...shuffled.valid].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled.train).not.toEqual(items.slice(0, 10));
    expect(items).toEqual(Array.from({ length: 20 }, (_, i) => i)); // the input is not shuffled in place
  });

  it('refuses fractions outside (0, 1) and parts that would be empty', () => {
    expect(() => trainValidSplit([1, 2, 3], { validFraction: 0 })).toThrow(InvalidArgumentError);
    expect(() => trainValidSplit([1, 2, 3], { validFraction: 1 })).toThrow(InvalidArgumentError);
    expect(() => trainValidSplit([1, 2, 3], { validFraction: 0.1 })).toThrow(EmptyCorpusError);
    expect(() => trainValidSplit(new Int32Array(0))).toThrow(EmptyCorpusError);
  });
});
