// A checkpoint directory on disk as a generator (Node only: `@recurrent/generate/node`).
import { InvalidArgumentError } from '@recurrent/core';
import { readModelCheckpoint } from '@recurrent/layers/node';
import { ensureBackend, loadedGenerator, type LoadedGenerator } from './load-generator';

/**
 * Loads a `recurrent-lm/1` checkpoint directory, e.g. one written by PyTorch, and returns a
 * generator for it. A config that does not match its weights is a `CheckpointError`. Starts the
 * backend (`init()`) if the program has not.
 */
export async function loadGenerator(dir: string): Promise<LoadedGenerator> {
  if (typeof dir !== 'string' || dir.trim() === '') throw new InvalidArgumentError({ fn: 'loadGenerator', argument: 'dir', expected: 'a checkpoint directory path', received: dir });
  await ensureBackend();
  const { config, model } = await readModelCheckpoint(dir);
  return loadedGenerator(config, model);
}
