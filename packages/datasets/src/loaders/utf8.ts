import { NotUtf8Error } from '../errors/dataset-errors';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8 strictly (a leading BOM is dropped); bytes that are not UTF-8 are a
 * `NotUtf8Error` giving the offset of the first bad byte.
 */
export function decodeUtf8(bytes: Uint8Array, fn: string, argument: string, source: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new NotUtf8Error(fn, argument, source, firstInvalidUtf8(bytes));
  }
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence (or bytes.length). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}
