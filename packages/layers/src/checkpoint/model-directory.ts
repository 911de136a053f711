// The model checkpoint as a directory on disk (Node only: `@recurrent/layers/node`).
import type { LanguageModel } from '../lm/language-model';
import type { CheckpointConfig } from './config';
import { checkDir, readCheckpointFile, writeCheckpointFiles } from './directory';
import { CONFIG_FILE, MODEL_FILE, checkModelAndMeta, modelCheckpointFiles, modelFromCheckpointFiles, type CheckpointMeta } from './model-checkpoint';

/**
 * Writes `config.json` and `model.safetensors` into `dir` atomically (other files in `dir`, such
 * as the trainer's, are kept). Node only.
 */
export async function writeModelCheckpoint(dir: string, model: LanguageModel, meta: CheckpointMeta): Promise<void> {
  checkDir('writeModelCheckpoint', dir);
  checkModelAndMeta('writeModelCheckpoint', model, meta);
  await writeCheckpointFiles(dir, modelCheckpointFiles(model, meta));
}

/** Reads a checkpoint directory (Node): its config, and the model with the weights loaded. */
export async function readModelCheckpoint(dir: string): Promise<{ config: CheckpointConfig; model: LanguageModel }> {
  checkDir('readModelCheckpoint', dir);
  const configBytes = await readCheckpointFile(dir, CONFIG_FILE);
  const weights = await readCheckpointFile(dir, MODEL_FILE);
  return modelFromCheckpointFiles(configBytes, weights);
}
