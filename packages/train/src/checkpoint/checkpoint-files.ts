// A training checkpoint as files (name -> bytes or text): the model's `config.json` and
// `model.safetensors` (layers' `recurrent-lm/1` format), plus the optimizer's state and the
// trainer's. Platform-neutral: `@recurrent/train/node` writes and reads them as a directory; a
// browser can download or upload the same files.
import { CheckpointError, decodeSafetensors, encodeSafetensors, parseSafetensors, tf, type Tensor } from '@recurrent/core';
import { CONFIG_FILE, MODEL_FILE, modelCheckpointFiles, modelFromCheckpointFiles, type CheckpointConfig, type LanguageModel } from '@recurrent/layers';
import type { TrainerState } from '../loop/trainer';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer';

export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_FILE = 'trainer.json';

/** The tokenizer and vocabulary a checkpoint's config.json records (layers' `modelCheckpointFiles` meta). */
export type CheckpointMeta = Parameters<typeof modelCheckpointFiles>[1];

/** What a training checkpoint holds. `optimizer` and `trainer` are optional (a model-only checkpoint). */
export interface SaveCheckpointOptions extends CheckpointMeta {
  model: LanguageModel;
  optimizer?: Optimizer;
  trainer?: TrainerState;
  /** Test hook: runs after the files are written, before the directory is swapped in. */
  beforeSwap?: () => void | Promise<void>;
}

export interface LoadedCheckpoint {
  config: CheckpointConfig;
  model: LanguageModel;
  /** The optimizer state (tensors owned by the caller: load into an optimizer, then dispose). */
  optimizer: OptimizerStateDict | null;
  trainer: TrainerState | null;
}

/**
 * The files of a training checkpoint: `config.json` + `model.safetensors` (format
 * `recurrent-lm/1`), and, when given, `optimizer.safetensors` (the optimizer's state tensors by
 * name; its scalars in the metadata) and `trainer.json`.
 */
export function trainingCheckpointFiles(options: Omit<SaveCheckpointOptions, 'beforeSwap'>): Record<string, Uint8Array | string> {
  const files = modelCheckpointFiles(options.model, { tokenizer: options.tokenizer, vocab: options.vocab });
  if (options.optimizer) {
    const sd = options.optimizer.stateDict();
    try {
      files[OPTIMIZER_FILE] = encodeSafetensors(sd.tensors, { format: 'recurrent-optimizer/1', scalars: JSON.stringify(sd.scalars) });
    } finally {
      tf.dispose(Object.values(sd.tensors));
    }
  }
  if (options.trainer) files[TRAINER_FILE] = `${JSON.stringify(options.trainer, null, 2)}\n`;
  return files;
}

/**
 * A training checkpoint from its files' contents: the model (built and loaded), and the
 * optimizer and trainer parts, null when their files are absent. Everything is checked before the
 * model is handed back; on any error nothing is left allocated.
 */
export function checkpointFromFiles(files: Readonly<Record<string, Uint8Array | string | undefined>>): LoadedCheckpoint {
  const fn = 'checkpointFromFiles';
  const config = files[CONFIG_FILE];
  const weights = files[MODEL_FILE];
  if (config === undefined) throw new CheckpointError(`${fn}: the checkpoint has no ${CONFIG_FILE}`);
  if (!(weights instanceof Uint8Array)) throw new CheckpointError(`${fn}: the checkpoint's ${MODEL_FILE} must be bytes, got ${weights === undefined ? 'none' : typeof weights}`);
  const optimizerBytes = files[OPTIMIZER_FILE];
  const trainerText = files[TRAINER_FILE];
  if (optimizerBytes !== undefined && !(optimizerBytes instanceof Uint8Array)) throw new CheckpointError(`${fn}: ${OPTIMIZER_FILE} must be bytes`);
  // The small parts first, so that a bad one costs no model.
  const trainer = trainerText === undefined ? null : parseTrainerState(typeof trainerText === 'string' ? trainerText : new TextDecoder().decode(trainerText));
  if (optimizerBytes !== undefined) checkOptimizerScalars(optimizerBytes);
  const { config: parsed, model } = modelFromCheckpointFiles(config, weights);
  try {
    return { config: parsed, model, optimizer: optimizerBytes === undefined ? null : decodeOptimizer(optimizerBytes), trainer };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

function checkOptimizerScalars(bytes: Uint8Array): OptimizerStateDict['scalars'] {
  const parsed = parseSafetensors(bytes);
  const raw = parsed.metadata?.scalars;
  let scalars: OptimizerStateDict['scalars'];
  try {
    scalars = JSON.parse(raw ?? '') as OptimizerStateDict['scalars'];
  } catch (cause) {
    throw new CheckpointError(`loadCheckpoint: ${OPTIMIZER_FILE} has no readable 'scalars' metadata`, { cause });
  }
  if (!scalars || typeof scalars.type !== 'string' || !Array.isArray(scalars.steps)) {
    throw new CheckpointError(`loadCheckpoint: ${OPTIMIZER_FILE} metadata 'scalars' must hold type and steps`);
  }
  return scalars;
}

function decodeOptimizer(bytes: Uint8Array): OptimizerStateDict {
  const scalars = checkOptimizerScalars(bytes);
  const tensors: Record<string, Tensor> = decodeSafetensors(bytes);
  return { tensors, scalars };
}

function parseTrainerState(text: string): TrainerState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CheckpointError(`loadCheckpoint: ${TRAINER_FILE} is not valid JSON`, { cause });
  }
  const s = json as Partial<TrainerState>;
  for (const key of ['step', 'epoch'] as const) {
    if (typeof s?.[key] !== 'number' || !Number.isInteger(s[key])) throw new CheckpointError(`loadCheckpoint: ${TRAINER_FILE} key '${key}' must be an integer`);
  }
  if (!s.random || !Array.isArray(s.random.state)) throw new CheckpointError(`loadCheckpoint: ${TRAINER_FILE} key 'random' must be a random state`);
  if (!Array.isArray(s.history)) throw new CheckpointError(`loadCheckpoint: ${TRAINER_FILE} key 'history' must be an array`);
  return { step: s.step!, epoch: s.epoch!, random: s.random, scheduler: s.scheduler ?? null, history: s.history };
}
