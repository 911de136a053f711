import { InvalidArgumentError } from '@recurrent/core';
import { describe, expect, it } from 'vitest';
import { ngramCounts } from './ngram-counts';

describe('ngramCounts', () => {
  const tokens = ['the', 'time', 'the', 'time', 'machine', 'the', 'time'];

  it('counts unigrams, bigrams and trigrams, most frequent first, ties in first-seen order', () => {
    expect(ngramCounts(tokens, 1)).toEqual([
      { ngram: ['the'], count: 3 },
      { ngram: ['time'], count: 3 },
      { ngram: ['machine'], count: 1 },
    ]);
    expect(ngramCounts(tokens, 2)).toEqual([
      { ngram: ['the', 'time'], count: 3 },
      { ngram: ['time', 'the'], count: 1 },
      { ngram: ['time', 'machine'], count: 1 },
      { ngram: ['machine', 'the'], count: 1 },
    ]);
    const tri = ngramCounts(tokens, 3);
    expect(tri[0]).toEqual({ ngram: ['the', 'time', 'the'], count: 1 });
    expect(tri.reduce((s, r) => s + r.count, 0)).toBe(tokens.length - 2);
  });

  it('does not confuse tokens that contain separators', () => {
    const rows = ngramCounts(['a b', 'c', 'a', 'b c'], 2);
    expect(rows).toHaveLength(3);
  });

  it('returns nothing for a stream shorter than n, and refuses n < 1', () => {
    expect(ngramCounts(['a'], 2)).toEqual([]);
    expect(() => ngramCounts(tokens, 0)).toThrow(InvalidArgumentError);
    expect(() => ngramCounts(tokens, 1.5)).toThrow("ngramCounts: 'n' must be a positive integer, got 1.5");
  });
});
