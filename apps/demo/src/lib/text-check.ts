// Is this file text we can train on? The same answer for the CLI (a file on disk) and the page (a
// dropped or picked file): platform-neutral, from the bytes alone.
import { firstInvalidUtf8 } from '@recurrent/datasets';

/** The text, or the problem and what to do about it. */
export type TextCheck = { ok: true; text: string } | { ok: false; problem: string; hint: string };

const TEXT_HINT = 'give the path of a UTF-8 text file';

/**
 * Checks a file's bytes: something in it, no NUL byte in its first 64 KB (binary files have
 * them; text never does), valid UTF-8 (a leading byte-order mark is dropped), not only whitespace.
 */
export function checkTextBytes(bytes: Uint8Array, hint = TEXT_HINT): TextCheck {
  if (bytes.length === 0) return { ok: false, problem: 'is empty', hint: 'give a text file with some text in it' };
  const nul = bytes.subarray(0, 1 << 16).indexOf(0);
  if (nul >= 0) return { ok: false, problem: `looks binary (a NUL byte at offset ${nul}), not text`, hint };
  const bad = firstInvalidUtf8(bytes);
  if (bad < bytes.length) return { ok: false, problem: `is not UTF-8 text (invalid byte at offset ${bad})`, hint: 'save it as UTF-8 (e.g. iconv -t UTF-8) or give another file' };
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.trim().length === 0) return { ok: false, problem: 'holds only whitespace', hint: 'give a text file with some text in it' };
  return { ok: true, text };
}
