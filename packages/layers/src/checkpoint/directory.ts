// Checkpoint directories on disk (Node only: `@recurrent/layers/node`). The browser side of the
// format is `modelCheckpointFiles` / `modelFromCheckpointFiles` (bytes in, bytes out).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CheckpointError, InvalidArgumentError } from '@recurrent/core';

/** A checkpoint directory argument: a non-empty path. */
export function checkDir(fn: string, dir: unknown, argument = 'dir'): string {
  if (typeof dir !== 'string' || dir.trim() === '') throw new InvalidArgumentError({ fn, argument, expected: 'a directory path', received: dir });
  return dir;
}

/** A file of a checkpoint directory: a plain name, no separators or dot entries. */
function checkFileName(fn: string, argument: string, name: unknown): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
    throw new InvalidArgumentError({ fn, argument, expected: 'a plain file name', received: name });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The sibling names the atomic swap uses: `<dir>.old` and `<dir>.tmp-<pid>-<time>-<n>`. */
function siblings(dir: string): { old: string; tmpPrefix: string } {
  const abs = path.resolve(dir);
  return { old: `${abs}.old`, tmpPrefix: `${abs}.tmp-` };
}

/** The new directories this process is assembling now (their leftovers are not leftovers yet). */
const assembling = new Set<string>();

/** Whether a process with this id is running (a writer that may still be assembling its directory). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}

/**
 * Finishes or undoes a swap a crash interrupted: if only `<dir>.old` exists, it becomes `<dir>`
 * again; if both exist, the swap completed and `<dir>.old` is removed. Then removes what killed
 * writers left: `<dir>.tmp-<pid>-…` directories whose process is gone (or this process's, when it
 * is not assembling them), whether Recurrent or the PyTorch example wrote them.
 */
export async function recoverCheckpointDir(dir: string): Promise<void> {
  const { old, tmpPrefix } = siblings(dir);
  if (await exists(old)) {
    if (await exists(path.resolve(dir))) await fs.rm(old, { recursive: true, force: true });
    else await fs.rename(old, path.resolve(dir));
  }
  const parent = path.dirname(tmpPrefix);
  const base = path.basename(tmpPrefix);
  let entries: string[];
  try {
    entries = await fs.readdir(parent);
  } catch {
    return; // no parent yet: nothing was ever written here
  }
  for (const name of entries) {
    const match = name.startsWith(base) ? /^(\d+)-/.exec(name.slice(base.length)) : null;
    if (!match) continue;
    const leftover = path.join(parent, name);
    const pid = Number(match[1]);
    const owned = pid === process.pid ? assembling.has(leftover) : running(pid);
    if (!owned) await fs.rm(leftover, { recursive: true, force: true });
  }
}

let counter = 0;

/**
 * Writes `files` (name to bytes or text) into the checkpoint directory `dir` as one atomic step:
 * the new directory is assembled beside it (the files of the current `dir` that are not being
 * replaced are copied over unless `replace`, so other writers' files survive), flushed, then swapped in by two
 * renames. A crash at any point leaves either the old or the new directory whole
 * (`recoverCheckpointDir`, run by every read and write, finishes an interrupted swap).
 * Train uses it to add `optimizer.safetensors` and `trainer.json` in the same step as the model.
 */
export async function writeCheckpointFiles(
  dir: string,
  files: Record<string, Uint8Array | string>,
  options: {
    /** Drop the files of the current `dir` that this call does not write (default: keep them). */
    replace?: boolean;
    /** Runs after the new files are flushed, before the swap (crash simulation in tests). */
    beforeSwap?: () => void | Promise<void>;
  } = {},
): Promise<void> {
  checkDir('writeCheckpointFiles', dir);
  if (files === null || typeof files !== 'object') throw new InvalidArgumentError({ fn: 'writeCheckpointFiles', argument: 'files', expected: 'an object of file names to contents', received: files });
  for (const [name, content] of Object.entries(files)) {
    checkFileName('writeCheckpointFiles', 'files', name);
    if (typeof content !== 'string' && !(content instanceof Uint8Array)) {
      throw new InvalidArgumentError({ fn: 'writeCheckpointFiles', argument: `files[${JSON.stringify(name)}]`, expected: 'a string or a Uint8Array', received: content });
    }
  }
  await recoverCheckpointDir(dir);
  const target = path.resolve(dir);
  const { old, tmpPrefix } = siblings(dir);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${tmpPrefix}${process.pid}-${Date.now()}-${counter++}`;
  assembling.add(tmp);
  await fs.mkdir(tmp);
  try {
    const hadTarget = await exists(target);
    if (hadTarget && !options.replace) {
      for (const entry of await fs.readdir(target, { withFileTypes: true })) {
        if (Object.hasOwn(files, entry.name)) continue;
        await fs.cp(path.join(target, entry.name), path.join(tmp, entry.name), { recursive: true });
      }
    }
    for (const [name, content] of Object.entries(files)) {
      const handle = await fs.open(path.join(tmp, name), 'w');
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await options.beforeSwap?.();
    if (hadTarget) {
      await fs.rename(target, old);
      await fs.rename(tmp, target);
      await fs.rm(old, { recursive: true, force: true });
    } else {
      await fs.rename(tmp, target);
    }
  } catch (error) {
    await fs.rm(tmp, { recursive: true, force: true });
    assembling.delete(tmp);
    await recoverCheckpointDir(dir);
    throw error;
  } finally {
    assembling.delete(tmp);
  }
}

/** Reads one file of a checkpoint directory; a missing file is a `CheckpointError` naming it. */
export async function readCheckpointFile(dir: string, name: string): Promise<Uint8Array> {
  checkDir('readCheckpointFile', dir);
  checkFileName('readCheckpointFile', 'name', name);
  await recoverCheckpointDir(dir);
  const file = path.join(path.resolve(dir), name);
  try {
    const buf = await fs.readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'ENOENT') throw new CheckpointError(`checkpoint: ${file} does not exist`, { cause });
    throw new CheckpointError(`checkpoint: cannot read ${file} (${(cause as Error).message})`, { cause });
  }
}
