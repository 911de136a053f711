import { InvalidArgumentError } from '@recurrent/core';
import { segmentInWindows } from '../split/windows';

/**
 * A word segmenter for text written without spaces (Chinese). `cut` must be lossless:
 * `cut(text).join('') === text`, so a tokenizer can join its tokens back with `''`.
 */
export interface Segmenter {
  /** A short name, e.g. `jieba` or `intl`. */
  readonly name: string;
  /** Splits `text` into words (punctuation, spaces and newlines are tokens too). */
  cut(text: string): string[];
}

/**
 * `Intl.Segmenter` in word mode, fed line by line (it is quadratic on long strings in Node 20).
 * Not jieba: it splits words such as 冬奥 or 运动员 that jieba keeps whole. No download needed.
 */
export class IntlWordSegmenter implements Segmenter {
  readonly name = 'intl';
  private readonly segmenter: Intl.Segmenter;

  constructor(locale = 'zh') {
    if (typeof locale !== 'string' || locale === '') {
      throw new InvalidArgumentError({ fn: 'IntlWordSegmenter', argument: 'locale', expected: "a BCP 47 language tag such as 'zh'", received: locale });
    }
    try {
      Intl.getCanonicalLocales(locale);
    } catch (cause) {
      throw new InvalidArgumentError({ fn: 'IntlWordSegmenter', argument: 'locale', expected: "a BCP 47 language tag such as 'zh'", received: locale, cause });
    }
    this.segmenter = new Intl.Segmenter(locale, { granularity: 'word' });
  }

  cut(text: string): string[] {
    if (typeof text !== 'string') throw new InvalidArgumentError({ fn: 'IntlWordSegmenter.cut', argument: 'text', expected: 'a string', received: text });
    const out: string[] = [];
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      // In windows: Intl.Segmenter is quadratic on long lines in Node 20.
      for (const segment of segmentInWindows(this.segmenter, line, 4096, 64)) out.push(segment);
      if (i < lines.length - 1) out.push('\n');
    });
    return out;
  }
}
