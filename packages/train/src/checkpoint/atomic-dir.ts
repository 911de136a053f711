import { mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finishes or undoes an interrupted swap: `<dir>.old` alone becomes `<dir>` again; beside a
 * complete `<dir>` it is removed. (Same scheme as layers' checkpoint writer, so either recovers.)
 */
export async function recoverDir(dir: string): Promise<void> {
  const target = resolve(dir);
  const old = `${target}.old`;
  if (!(await exists(old))) return;
  if (await exists(target)) await rm(old, { recursive: true, force: true });
  else await rename(old, target);
}

/** Writes one file and flushes it to disk. */
export async function writeFileSynced(path: string, content: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Builds a directory with `fill(tmp)` beside `dir`, then swaps it in with two renames
 * (`dir -> dir.old`, `tmp -> dir`) and removes the old one. A crash or an error at any point
 * leaves `dir` as it was, or (between the renames) as `<dir>.old`, which `recoverDir` restores.
 */
export async function replaceDirAtomically(dir: string, fill: (tmp: string) => Promise<void>, beforeSwap?: () => void | Promise<void>): Promise<void> {
  const target = resolve(dir);
  await recoverDir(target);
  await mkdir(dirname(target), { recursive: true });
  const tmp = await mkdtemp(join(dirname(target), `${basename(target)}.tmp-`));
  try {
    await fill(tmp);
    await beforeSwap?.();
    if (await exists(target)) {
      await rename(target, `${target}.old`);
      await rename(tmp, target);
      await rm(`${target}.old`, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    await recoverDir(target);
    throw error;
  }
}
