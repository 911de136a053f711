// What the user typed, checked the way the user typed it: every refusal names the flag, the value,
// the problem and what to do (`--corpus notes.txt: not found; give the path of a UTF-8 text
// file`), never an internal function or an errno.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RecurrentError } from '@recurrent/core';
import { readBytes } from '@recurrent/datasets/node';
import { checkTextBytes } from './text-check';

/** A refusal of a flag's value; the CLI prints `recurrent: <message>` and exits with the usage code. */
export class UsageError extends RecurrentError {
  readonly flag: string;

  constructor(flag: string, value: string | null, problem: string, hint: string, cause?: unknown) {
    super('INVALID_ARGUMENT', `${flag}${value === null ? '' : ` ${quote(value)}`}: ${problem}; ${hint}`, cause === undefined ? {} : { cause });
    this.name = 'UsageError';
    this.flag = flag;
  }
}

/** A path as typed, quoted only when it needs it. */
function quote(value: string): string {
  return /^[\w./@:+,=-]+$/.test(value) ? value : JSON.stringify(value);
}

const TEXT_HINT = 'give the path of a UTF-8 text file';

/** Why a path cannot be read, in words. */
async function missing(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'is a directory, not a file' : null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'not found';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    return (error as Error).message;
  }
}

/** Reads the text file a flag names: it must exist, be a file, and pass `checkTextBytes`. */
export async function readTextFlag(flag: string, path: string): Promise<string> {
  const file = resolve(path);
  const why = await missing(file);
  if (why) throw new UsageError(flag, path, why, TEXT_HINT);
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(flag, file);
  } catch (cause) {
    throw new UsageError(flag, path, 'cannot be read', TEXT_HINT, cause);
  }
  const checked = checkTextBytes(bytes, TEXT_HINT);
  if (!checked.ok) throw new UsageError(flag, path, checked.problem, checked.hint);
  return checked.text;
}

/** A checkpoint directory a flag names: it must exist and hold the checkpoint's config.json. */
export async function checkpointFlag(flag: string, dir: string): Promise<string> {
  const abs = resolve(dir);
  const hint = 'give a directory written by `recurrent train --out DIR` (config.json and model.safetensors)';
  try {
    const s = await stat(abs);
    if (!s.isDirectory()) throw new UsageError(flag, dir, 'is a file, not a checkpoint directory', hint);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // A swap a crash interrupted leaves `<dir>.old`: the readers put it back.
    if (!(await stat(`${abs}.old`).catch(() => null))) throw new UsageError(flag, dir, 'not found', hint);
    return abs;
  }
  if (!(await stat(join(abs, 'config.json')).catch(() => null)) && !(await stat(`${abs}.old`).catch(() => null))) {
    throw new UsageError(flag, dir, 'is not a checkpoint (it has no config.json)', hint);
  }
  return abs;
}

/**
 * Runs `work` on what a flag names; a typed refusal from the library (a checkpoint whose files do
 * not match, a corpus with no tokens, ...) is told as the flag's problem, its own words kept.
 */
export async function withFlag<T>(flag: string, value: string, hint: string, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UsageError || !RecurrentError.isInstance(error)) throw error;
    throw new UsageError(flag, value, error.message.replace(/^[\w.]+: /, ''), hint, error);
  }
}
