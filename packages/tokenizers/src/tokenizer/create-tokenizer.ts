import { checkOneOf } from '@recurrent/core';
import { JiebaSegmenter, type JiebaOptions } from '../segmenter/jieba';
import type { Segmenter } from '../segmenter/segmenter';
import { tokenizeText, type Preprocess } from './tokenize';

/** A tokenizer level as a checkpoint config names it (`grapheme` is a Recurrent extra). */
export type TokenizerLevel = 'char' | 'grapheme' | 'word' | 'jieba';

export interface TokenizerConfig {
  level: TokenizerLevel;
  preprocess?: Preprocess;
  /** jieba only: HMM, user dictionary words, wasm location in the browser. */
  jieba?: JiebaOptions;
  /** Use this segmenter instead of jieba for level `'jieba'` (tests, other segmenters). */
  segmenter?: Segmenter;
}

/** What `train`, `generate` and the CLI use: text to tokens, and tokens back to text. */
export interface Tokenizer {
  readonly level: TokenizerLevel;
  readonly preprocess: Preprocess;
  /** Preprocesses and splits; jieba is loaded on the first call of a `'jieba'` tokenizer. */
  tokenize(text: string): Promise<string[]>;
  /** Joins tokens into text: `''` between them for char/grapheme/jieba, `' '` for word. */
  join(tokens: readonly string[]): string;
}

const LEVELS: readonly TokenizerLevel[] = ['char', 'grapheme', 'word', 'jieba'];

/** Builds the tokenizer a checkpoint's `tokenizer` config describes. */
export function createTokenizer(config: TokenizerConfig): Tokenizer {
  const level = checkOneOf('createTokenizer', 'level', config?.level, LEVELS);
  const preprocess = checkOneOf('createTokenizer', 'preprocess', config.preprocess ?? 'none', ['d2l', 'none'] as const);
  let segmenter: Promise<Segmenter> | undefined = config.segmenter ? Promise.resolve(config.segmenter) : undefined;
  const sep = level === 'word' ? ' ' : '';
  return {
    level,
    preprocess,
    async tokenize(text: string): Promise<string[]> {
      if (level !== 'jieba') return tokenizeText(text, level, preprocess);
      segmenter ??= JiebaSegmenter.create(config.jieba);
      try {
        return tokenizeText(text, await segmenter, preprocess);
      } catch (error) {
        if (!config.segmenter) segmenter = undefined;
        throw error;
      }
    },
    join(tokens: readonly string[]): string {
      return tokens.join(sep);
    },
  };
}
