/** Python's `str.isspace()` characters, so `whitespaceWords` equals `str.split()` exactly. */
// eslint-disable-next-line no-control-regex -- Python counts the separators U+001C…U+001F as whitespace.
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Splits on runs of whitespace and drops empty pieces, as Python's `str.split()` does. */
export function whitespaceWords(text: string): string[] {
  const out: string[] = [];
  for (const w of text.split(PY_WHITESPACE)) if (w !== '') out.push(w);
  return out;
}
