import { describe, expect, it } from 'vitest';
import { whitespaceWords } from './word';

describe('whitespaceWords', () => {
  it("splits like Python's str.split()", () => {
    expect(whitespaceWords('  the  time\tmachine\n\nby\u3000wells ')).toEqual(['the', 'time', 'machine', 'by', 'wells']);
    // U+001C…U+001F and U+0085 are whitespace for Python; U+FEFF is not.
    expect(whitespaceWords('a\x1cb\x85c\ufeffd')).toEqual(['a', 'b', 'c\ufeffd']);
    expect(whitespaceWords(' \n ')).toEqual([]);
  });
});
