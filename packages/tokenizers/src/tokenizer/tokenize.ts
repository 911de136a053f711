import { checkOneOf, InvalidArgumentError } from '@recurrent/core';
import { d2lPreprocessLines } from '../preprocess/d2l';
import { codePoints, graphemes } from '../split/char';
import { whitespaceWords } from '../split/word';
import type { Segmenter } from '../segmenter/segmenter';

/** The synchronous splitting levels. */
export type SplitLevel = 'char' | 'grapheme' | 'word';
/** Text preprocessing: d2l's per-line letters-only lower-casing, or none. */
export type Preprocess = 'd2l' | 'none';

const LEVELS: readonly SplitLevel[] = ['char', 'grapheme', 'word'];
const PREPROCESS: readonly Preprocess[] = ['d2l', 'none'];

/**
 * Splits text into tokens without preprocessing: `'char'` by code point, `'grapheme'` by
 * extended grapheme cluster, `'word'` on whitespace; or with a `Segmenter` (e.g. jieba).
 */
export function tokenize(text: string, level: SplitLevel | Segmenter): string[] {
  if (typeof text !== 'string') {
    throw new InvalidArgumentError({ fn: 'tokenize', argument: 'text', expected: 'a string', received: text });
  }
  if (typeof level === 'object' && level !== null && typeof level.cut === 'function') return level.cut(text);
  switch (checkOneOf('tokenize', 'level', level, LEVELS)) {
    case 'char':
      return codePoints(text);
    case 'grapheme':
      return graphemes(text);
    case 'word':
      return whitespaceWords(text);
  }
}

/**
 * Preprocesses and splits, with the `recurrent-lm/1` checkpoint semantics. With `'d2l'` each line
 * becomes `re.sub('[^A-Za-z]+', ' ', line).strip().lower()`; char level concatenates the lines'
 * characters with nothing in between, word level concatenates each line's `split()`.
 * With `'none'` the whole text is split, newlines included (char) or as separators (word).
 */
export function tokenizeText(text: string, level: SplitLevel | Segmenter, preprocess: Preprocess = 'none'): string[] {
  checkOneOf('tokenizeText', 'preprocess', preprocess, PREPROCESS);
  if (preprocess === 'none') return tokenize(text, level);
  const out: string[] = [];
  for (const line of d2lPreprocessLines(text)) {
    for (const t of tokenize(line, level)) out.push(t);
  }
  return out;
}
