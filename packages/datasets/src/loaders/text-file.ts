// Local files (Node only: `@recurrent/datasets/node`).
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@recurrent/core';
import { decodeUtf8 } from './utf8';

/** Reads a local UTF-8 text file (Node). A file that is not UTF-8 is a `NotUtf8Error`. */
export async function readTextFile(path: string): Promise<string> {
  if (typeof path !== 'string' || path === '') {
    throw new InvalidArgumentError({ fn: 'readTextFile', argument: 'path', expected: 'a file path', received: path });
  }
  return decodeUtf8(await readBytes('readTextFile', path), 'readTextFile', 'path', path);
}

/** What an errno means, in words (an unknown code is shown as it is). */
const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'not found',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a directory, not a file',
  ENOTDIR: 'a path through something that is not a directory',
  ELOOP: 'a loop of symbolic links',
  ENAMETOOLONG: 'a name too long',
};

/** Reads a file's bytes; a missing or unreadable file is an `InvalidArgumentError` naming it and why. */
export async function readBytes(fn: string, path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const why = ERRNO_WORDS[code] ?? (code || (error as Error).message);
    throw new InvalidArgumentError({ fn, argument: 'path', expected: 'a readable file', received: `${path}: ${why}`, cause: error });
  }
}
