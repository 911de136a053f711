import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codePoints, graphemes } from './char';

describe('codePoints', () => {
  it('keeps astral characters (emoji) whole and splits CJK per character', () => {
    expect(codePoints('a😀北京')).toEqual(['a', '😀', '北', '京']);
    expect(codePoints('')).toEqual([]);
  });
});

describe('graphemes', () => {
  it('keeps combining marks, flags, skin tones and ZWJ sequences whole', () => {
    expect(graphemes('e\u0301x')).toEqual(['e\u0301', 'x']);
    expect(graphemes('🇫🇷👍🏽👨‍👩‍👧!')).toEqual(['🇫🇷', '👍🏽', '👨‍👩‍👧', '!']);
  });

  it('makes newlines tokens, \\r\\n as one', () => {
    expect(graphemes('ab\ncd\r\ne\n')).toEqual(['a', 'b', '\n', 'c', 'd', '\r\n', 'e', '\n']);
  });

  it('cuts long lines without changing the result', () => {
    const words = ['e\u0301t\u00e9', 'x', '🇫🇷', 'ab', '👍🏽'];
    const line = Array.from({ length: 2000 }, (_, i) => words[i % words.length]).join(' ');
    const whole = Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(line), (s) => s.segment);
    expect(graphemes(line)).toEqual(whole);
  });

  it('is lossless on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
        expect(graphemes(s).join('')).toBe(s);
        expect(codePoints(s).join('')).toBe(s);
      }),
    );
  });
});
