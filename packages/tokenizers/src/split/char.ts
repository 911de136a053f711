import { segmentInWindows } from './windows';

/** No call of `Intl.Segmenter` sees much more than this many code units of a line. */
const GRAPHEME_WINDOW = 1024;

/** Splits text into Unicode code points (right for CJK; astral characters such as emoji stay whole). */
export function codePoints(text: string): string[] {
  return Array.from(text);
}

let graphemeSegmenter: Intl.Segmenter | undefined;

/**
 * Splits text into extended grapheme clusters (`Intl.Segmenter`), so combining marks and emoji
 * sequences (flags, skin tones, ZWJ families) stay whole. `Intl.Segmenter` is quadratic on long
 * strings in Node 20, so the text is fed line by line, and long lines in windows
 * (`segmentInWindows`: the same clusters as one call, in linear time, whatever the script). A
 * `\r\n` pair is one token, as the segmenter would make it.
 */
export function graphemes(text: string): string[] {
  graphemeSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const seg = graphemeSegmenter;
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const last = i === lines.length - 1;
    const crlf = !last && line.endsWith('\r');
    if (crlf) line = line.slice(0, -1);
    for (const g of segmentInWindows(seg, line, GRAPHEME_WINDOW)) out.push(g);
    if (!last) out.push(crlf ? '\r\n' : '\n');
  }
  return out;
}
