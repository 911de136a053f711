/** Every maximal run of characters other than ASCII letters. */
const NON_LETTERS = /[^A-Za-z]+/g;

/**
 * d2l's per-line preprocessing, `re.sub('[^A-Za-z]+', ' ', line).strip().lower()`:
 * runs of non-letters become one space, the ends are trimmed, letters are lower-cased.
 */
export function d2lPreprocessLine(line: string): string {
  return line.replace(NON_LETTERS, ' ').trim().toLowerCase();
}

/**
 * Splits `text` into lines at `\n` (as Python's `readlines()` then the per-line regex; a
 * trailing `\r` is a non-letter and disappears) and preprocesses each line the d2l way.
 * Empty lines are kept (as empty strings) so line numbers still match the file.
 */
export function d2lPreprocessLines(text: string): string[] {
  return text.split('\n').map(d2lPreprocessLine);
}
