import { checkInt, InvalidArgumentError } from '@recurrent/core';

/** One row of an n-gram table: the n tokens and how often they occur in a row. */
export interface NgramCount {
  ngram: string[];
  count: number;
}

/**
 * Counts the n-grams of a token stream (n = 1: unigrams, 2: bigrams, 3: trigrams, …), as d2l's
 * language-model chapter does with `zip(corpus[:-1], corpus[1:])`: every window of n consecutive
 * tokens, most frequent first, ties in order of first occurrence.
 */
export function ngramCounts(tokens: readonly string[], n: number): NgramCount[] {
  checkInt('ngramCounts', 'n', n, 1);
  if (!Array.isArray(tokens)) {
    throw new InvalidArgumentError({ fn: 'ngramCounts', argument: 'tokens', expected: 'an array of tokens', received: tokens });
  }
  // Each token prefixed by its length makes an unambiguous key, whatever characters it holds.
  const rows = new Map<string, NgramCount>();
  for (let i = 0; i + n <= tokens.length; i++) {
    let key = '';
    for (let j = i; j < i + n; j++) key += `${tokens[j]!.length}:${tokens[j]}`;
    const row = rows.get(key);
    if (row) row.count++;
    else rows.set(key, { ngram: tokens.slice(i, i + n), count: 1 });
  }
  return [...rows.values()].sort((a, b) => b.count - a.count);
}
