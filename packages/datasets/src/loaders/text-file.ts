import { InvalidArgumentError } from '@recurrent/core';
import { decodeUtf8 } from './utf8';

/** Reads a local UTF-8 text file (Node). A file that is not UTF-8 is a `NotUtf8Error`. */
export async function readTextFile(path: string): Promise<string> {
  if (typeof path !== 'string' || path === '') {
    throw new InvalidArgumentError({ fn: 'readTextFile', argument: 'path', expected: 'a file path', received: path });
  }
  return decodeUtf8(await readBytes('readTextFile', path), 'readTextFile', 'path', path);
}

/** Reads a file's bytes; a missing or unreadable file is an `InvalidArgumentError` naming it. */
export async function readBytes(fn: string, path: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InvalidArgumentError({ fn, argument: 'path', expected: 'a readable file', received: `${path} (${code})`, cause: error });
  }
}

/** Checks that a string loader got a string (the "string" corpus source). */
export function textFromString(text: string): string {
  if (typeof text !== 'string') {
    throw new InvalidArgumentError({ fn: 'textFromString', argument: 'text', expected: 'a string', received: text });
  }
  return text;
}
