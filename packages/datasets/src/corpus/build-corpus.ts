import { checkInt, EmptyCorpusError, InvalidArgumentError } from '@recurrent/core';
import { createTokenizer, Vocab, type TokenizerConfig, type VocabOptions } from '@recurrent/tokenizers';

/** A tokenized corpus: the tokens, their vocabulary and the ids (d2l's `corpus, vocab`). */
export interface Corpus {
  tokens: string[];
  vocab: Vocab;
  /** `vocab.encode(tokens)`. */
  ids: Int32Array;
}

export interface BuildCorpusOptions extends TokenizerConfig, VocabOptions {
  /** Keep only the first `maxTokens` tokens (d2l's `max_tokens`; default all). */
  maxTokens?: number;
  /** Encode with this vocabulary instead of building one (e.g. a checkpoint's). */
  vocab?: Vocab;
}

/**
 * Tokenizes `text`, builds (or reuses) a vocabulary and encodes the tokens. An empty result is an
 * `EmptyCorpusError`; a token missing from a given vocabulary without `unk` is a `VocabError`.
 */
export async function buildCorpus(text: string, options: BuildCorpusOptions): Promise<Corpus> {
  const fn = 'buildCorpus';
  if (typeof text !== 'string') {
    throw new InvalidArgumentError({ fn, argument: 'text', expected: 'a string', received: text });
  }
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError({ fn, argument: 'options', expected: "an object such as { level: 'char' }", received: options });
  }
  // Every option is checked before any work: an integer as an integer (2.5 tokens is refused).
  const max = options.maxTokens === undefined ? undefined : checkInt(fn, 'options.maxTokens', options.maxTokens, 0);
  if (options.vocab !== undefined && !(options.vocab instanceof Vocab)) {
    throw new InvalidArgumentError({ fn, argument: 'options.vocab', expected: 'a Vocab', received: options.vocab });
  }
  const tokenizer = createTokenizer(options);
  let tokens = await tokenizer.tokenize(text);
  if (max !== undefined) tokens = tokens.slice(0, max);
  if (tokens.length === 0) {
    throw new EmptyCorpusError({ fn: 'buildCorpus', argument: 'text', expected: `text with at least one ${options.level} token after '${tokenizer.preprocess}' preprocessing`, received: `${text.length} characters, 0 tokens` });
  }
  const vocab = options.vocab ?? new Vocab(tokens, options);
  return { tokens, vocab, ids: vocab.encode(tokens) };
}
