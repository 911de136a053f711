// A training checkpoint as a directory on disk, written in one atomic step (Node only:
// `@recurrent/train/node`). The files themselves are `trainingCheckpointFiles`' (platform-neutral).
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckpointError, InvalidArgumentError } from '@recurrent/core';
import { CONFIG_FILE, MODEL_FILE } from '@recurrent/layers';
import { checkDir, readCheckpointFile, writeCheckpointFiles } from '@recurrent/layers/node';
import { CARRIED_STATE_FILE, checkpointFromFiles, OPTIMIZER_FILE, TRAINER_FILE, trainingCheckpointFiles, type LoadedCheckpoint, type SaveCheckpointOptions } from './checkpoint-files';

/**
 * Writes a checkpoint directory in one atomic step (`trainingCheckpointFiles`). A crash mid-write
 * leaves the previous checkpoint whole. The directory holds exactly what this call writes: a
 * model-only save over a full checkpoint leaves no stale optimizer or trainer state behind.
 */
export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<void> {
  checkDir('saveCheckpoint', dir);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError({ fn: 'saveCheckpoint', argument: 'options', expected: 'an object { model, tokenizer, vocab, optimizer?, trainer? }', received: options });
  const { beforeSwap, ...parts } = options;
  await writeCheckpointFiles(dir, trainingCheckpointFiles(parts), { replace: true, beforeSwap });
}

/** Reads a checkpoint directory; the optimizer and trainer parts are null when absent. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  checkDir('loadCheckpoint', dir);
  // readCheckpointFile first finishes any interrupted swap (layers' recoverCheckpointDir).
  const files: Record<string, Uint8Array> = {
    [CONFIG_FILE]: await readCheckpointFile(dir, CONFIG_FILE),
    [MODEL_FILE]: await readCheckpointFile(dir, MODEL_FILE),
  };
  for (const name of [OPTIMIZER_FILE, TRAINER_FILE, CARRIED_STATE_FILE]) {
    const bytes = await optionalFile(dir, name);
    if (bytes) files[name] = bytes;
  }
  return checkpointFromFiles(files);
}

async function optionalFile(dir: string, name: string): Promise<Uint8Array | null> {
  const file = join(resolve(dir), name);
  try {
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') return null;
    throw new CheckpointError(`loadCheckpoint: cannot read ${file} (${(cause as Error).message})`, { cause });
  }
}
