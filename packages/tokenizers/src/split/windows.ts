/**
 * The segments of `text` by `segmenter` (an `Intl.Segmenter`), computed in windows of about
 * `window` code units, with the result of one call over the whole text. `Intl.Segmenter` is
 * quadratic on long strings in Node 20 (a 200,000-character line took 40 s), so no call sees much
 * more than `window`. Each window starts at a boundary of the whole text; of its segments, those
 * ending in its last `margin` code units, and always the last one (it may be cut), are segmented
 * again at the start of the next window. UAX #29 decides a grapheme boundary from what precedes it
 * and the one character after it, so `margin` 0 is exact for graphemes; word boundaries look a
 * few characters ahead (and a dictionary for CJK), which a margin of some dozens covers. One
 * segment longer than the window (thousands of combining marks) widens the window.
 */
export function segmentInWindows(segmenter: Intl.Segmenter, text: string, window: number, margin = 0): string[] {
  const out: string[] = [];
  let start = 0;
  let size = window;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    // Never between the two halves of a surrogate pair: the character after a boundary must be whole.
    const unit = text.charCodeAt(end);
    if (end < text.length && unit >= 0xdc00 && unit <= 0xdfff) end += 1;
    const segments = Array.from(segmenter.segment(text.slice(start, end)), (s) => s.segment);
    if (end === text.length) {
      for (const s of segments) out.push(s);
      break;
    }
    let keep = segments.length - 1;
    let kept = end - start - segments[keep]!.length;
    while (keep > 0 && end - start - kept < margin) kept -= segments[--keep]!.length;
    if (keep === 0) {
      size *= 2; // one segment fills the window
      continue;
    }
    for (let i = 0; i < keep; i++) out.push(segments[i]!);
    start += kept;
    size = window;
  }
  return out;
}
