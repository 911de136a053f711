import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntlWordSegmenter } from '../segmenter/segmenter';
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

describe('long lines in any script', () => {
  it('a 1 MB line without spaces (CJK, emoji, combining marks, regional indicators) in linear time, the clusters of one call', () => {
    const parts = ['北京', '😀', 'e\u0301', '🇫🇷🇩🇪', '👨‍👩‍👧', 'ก\u0e35', '각', 'x'];
    const line = Array.from({ length: 320_000 }, (_, i) => parts[(i * 7) % parts.length]).join('');
    expect(line.length).toBeGreaterThan(1_000_000);
    const t0 = performance.now();
    const got = graphemes(line);
    const ms = performance.now() - t0;
    expect(got.join('')).toBe(line);
    // One call over a 20,000-unit slice (longer would take seconds) agrees with the windows.
    const slice = line.slice(0, 20_000);
    expect(graphemes(slice)).toEqual(Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(slice), (s) => s.segment));
    console.log(`graphemes: ${line.length} code units without a space in ${ms.toFixed(0)} ms`);
  });

  it('a grapheme longer than a window (2,000 combining marks) stays whole', () => {
    const big = `a${'\u0301'.repeat(2000)}`;
    expect(graphemes(`x${big}y`)).toEqual(['x', big, 'y']);
  });
});

describe('IntlWordSegmenter on a long line', () => {
  it('gives the words of one Intl.Segmenter call (dictionary words across window edges included)', () => {
    const parts = ['北京冬奥的进度条已经过半，', '不少外国运动员在完成自己的比赛后踏上归途。', 'hello world, it’s fine. ', '😀', '3.14 ', "don't "];
    const line = Array.from({ length: 2000 }, (_, i) => parts[(i * 5) % parts.length]).join('').slice(0, 30_000);
    const whole = Array.from(new Intl.Segmenter('zh', { granularity: 'word' }).segment(line), (s) => s.segment);
    expect(new IntlWordSegmenter('zh').cut(line)).toEqual(whole);
  });
});
