import { InvalidArgumentError, VocabError } from '@recurrent/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codePoints, graphemes } from '../split/char';
import { Vocab } from './vocab';

describe('Vocab', () => {
  const tokens = ['b', 'a', 'c', 'a', 'b', 'd', 'a', 'e'];

  it('puts <unk> first, then tokens by descending count, ties in first-seen order', () => {
    const v = new Vocab(tokens);
    expect(v.idToToken).toEqual(['<unk>', 'a', 'b', 'c', 'd', 'e']);
    expect(v.size).toBe(6);
    expect(v.tokenFreqs).toEqual([['a', 3], ['b', 2], ['c', 1], ['d', 1], ['e', 1]]);
  });

  it('counts nested token lists (lines of tokens)', () => {
    const v = new Vocab([['x', 'y'], [['y']], 'z', []]);
    expect(v.idToToken).toEqual(['<unk>', 'y', 'x', 'z']);
  });

  it('leaves out tokens below minFreq (they map to <unk>) but keeps their counts', () => {
    const v = new Vocab(tokens, { minFreq: 2 });
    expect(v.idToToken).toEqual(['<unk>', 'a', 'b']);
    expect(Array.from(v.encode(['a', 'c', 'zz']))).toEqual([1, 0, 0]);
    expect(v.tokenFreqs).toHaveLength(5);
  });

  it('places reserved tokens after <unk>, once, whatever their count', () => {
    const v = new Vocab(['a', '<eos>', 'a'], { reservedTokens: ['<pad>', '<eos>', '<unk>'] });
    expect(v.idToToken).toEqual(['<unk>', '<pad>', '<eos>', 'a']);
  });

  it('takes another unk token, and none: then an unknown token is a VocabError naming it', () => {
    expect(new Vocab(tokens, { unk: '[UNK]' }).idToToken[0]).toBe('[UNK]');
    const v = new Vocab(tokens, { unk: null });
    expect(v.idToToken[0]).toBe('a');
    expect(v.unkId).toBe(-1);
    expect(() => v.encode(['a', 'zebra'])).toThrow(VocabError);
    expect(() => v.encode(['a', 'zebra'])).toThrow(/tokens\[1\].*"zebra"/);
    expect(() => v.id('zebra')).toThrow(VocabError);
  });

  it('decodes ids and refuses ids out of range', () => {
    const v = new Vocab(tokens);
    expect(v.decode([1, 2, 0])).toEqual(['a', 'b', '<unk>']);
    expect(() => v.decode([6])).toThrow(VocabError);
    expect(() => v.decode([-1])).toThrow(VocabError);
    expect(() => v.decode([1.5])).toThrow(/ids\[0\]/);
  });

  it('round-trips through JSON, with or without counts', () => {
    const v = new Vocab(tokens, { reservedTokens: ['<pad>'], minFreq: 1 });
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
    expect(back.idToToken).toEqual(v.idToToken);
    expect(back.unk).toBe('<unk>');
    expect(back.tokenFreqs).toEqual(v.tokenFreqs);
    expect(Array.from(back.encode(['e', '?']))).toEqual(Array.from(v.encode(['e', '?'])));
    const cfg = Vocab.fromJSON(v.toConfig());
    expect(cfg.idToToken).toEqual(v.idToToken);
    expect(cfg.tokenFreqs).toEqual([]);
    expect(v.toConfig()).toEqual({ tokens: v.idToToken, unk: '<unk>' });
  });

  it('refuses bad options and bad JSON', () => {
    expect(() => new Vocab(tokens, { minFreq: -1 })).toThrow(InvalidArgumentError);
    expect(() => new Vocab([1 as unknown as string])).toThrow(InvalidArgumentError);
    expect(() => Vocab.fromJSON({ tokens: 'abc' })).toThrow(InvalidArgumentError);
    expect(() => Vocab.fromJSON({ tokens: ['a', 'a'], unk: null })).toThrow(VocabError);
    expect(() => Vocab.fromJSON({ tokens: ['a'], unk: '<unk>' })).toThrow(VocabError);
  });

  it('encode/decode round-trips random text (CJK, emoji) by code point and by grapheme', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('北', '京', '冬', '奥', '😀', '👍🏽', 'é', 'e\u0301', ' ', '\n'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 80 });
    fc.assert(
      fc.property(text, text, (corpus, s) => {
        for (const split of [codePoints, graphemes]) {
          // Tokens of the two texts split apart: a leading combining mark in s would join the
          // corpus's last grapheme if the texts were concatenated first.
          const v = new Vocab([...split(corpus), ...split(s)]);
          expect(v.decode(v.encode(split(s))).join('')).toBe(s);
          const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
          expect(back.decode(back.encode(split(s))).join('')).toBe(s);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('maps unseen tokens to <unk> on random input', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3 }), { maxLength: 30 }), fc.string({ maxLength: 3 }), (toks, probe) => {
        const v = new Vocab(toks);
        const id = v.encode([probe])[0]!;
        expect(id === 0).toBe(!toks.includes(probe) && probe !== '<unk>');
      }),
    );
  });
});
