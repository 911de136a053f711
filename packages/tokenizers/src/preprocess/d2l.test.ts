import { describe, expect, it } from 'vitest';
import { d2lPreprocessLine, d2lPreprocessLines } from './d2l';

describe('d2l preprocessing', () => {
  it('keeps letters, turns runs of anything else into one space, trims and lower-cases', () => {
    expect(d2lPreprocessLine('The Time Machine, by H. G. Wells [1898]')).toBe('the time machine by h g wells');
    expect(d2lPreprocessLine('  --Hello,   World!!  ')).toBe('hello world');
    expect(d2lPreprocessLine('naïve café 42')).toBe('na ve caf');
    expect(d2lPreprocessLine('1234 ...')).toBe('');
  });

  it('splits at \\n, drops a trailing \\r and keeps empty lines', () => {
    expect(d2lPreprocessLines('A b\r\n\r\nC-d\n')).toEqual(['a b', '', 'c d', '']);
  });
});
