import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkpointFiles } from './checkpoint';
import type { TrainingSession } from './session';

/**
 * Writes `config.json` and `model.safetensors` into `dir` atomically: into a fresh sibling
 * directory first, then renamed over the old one (a crash leaves the previous checkpoint whole).
 */
export async function saveSessionCheckpoint(session: TrainingSession, dir: string): Promise<void> {
  const target = resolve(dir);
  const files = checkpointFiles(session);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  const old = join(parent, `.${basename(target)}.old-${process.pid}-${Date.now()}`);
  await mkdir(tmp);
  try {
    await writeFile(join(tmp, 'model.safetensors'), files.weights);
    await writeFile(join(tmp, 'config.json'), files.config);
    await rename(target, old).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await rename(tmp, target);
    await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}
