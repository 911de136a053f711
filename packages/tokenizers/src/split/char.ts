/** Lines longer than this are cut (at a safe boundary) before they reach `Intl.Segmenter`. */
const GRAPHEME_CHUNK = 1024;

/** Splits text into Unicode code points (right for CJK; astral characters such as emoji stay whole). */
export function codePoints(text: string): string[] {
  return Array.from(text);
}

let graphemeSegmenter: Intl.Segmenter | undefined;

/**
 * Splits text into extended grapheme clusters (`Intl.Segmenter`), so combining marks and emoji
 * sequences (flags, skin tones, ZWJ families) stay whole. `Intl.Segmenter` is quadratic on long
 * strings in Node 20, so the text is fed line by line, and long lines in chunks cut between an
 * ASCII space and an ASCII letter or digit (a grapheme boundary by UAX #29). A `\r\n` pair is one
 * token, as the segmenter would make it.
 */
export function graphemes(text: string): string[] {
  graphemeSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const seg = graphemeSegmenter;
  const out: string[] = [];
  const pushSegments = (s: string): void => {
    for (const { segment } of seg.segment(s)) out.push(segment);
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const last = i === lines.length - 1;
    const crlf = !last && line.endsWith('\r');
    if (crlf) line = line.slice(0, -1);
    let start = 0;
    while (line.length - start > GRAPHEME_CHUNK) {
      const cut = safeCut(line, start + GRAPHEME_CHUNK);
      if (cut <= start) break;
      pushSegments(line.slice(start, cut));
      start = cut;
    }
    if (start < line.length) pushSegments(start === 0 ? line : line.slice(start));
    if (!last) out.push(crlf ? '\r\n' : '\n');
  }
  return out;
}

/** The first index >= `from` where a space is followed by an ASCII letter or digit, or -1. */
function safeCut(line: string, from: number): number {
  for (let i = Math.max(from, 1); i < line.length; i++) {
    if (line.charCodeAt(i - 1) === 32 && /[A-Za-z0-9]/.test(line[i]!)) return i;
  }
  return -1;
}
