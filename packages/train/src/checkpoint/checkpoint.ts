import { CheckpointError, decodeSafetensors, encodeSafetensors, parseSafetensors, tf, type Tensor } from '@recurrent/core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { modelCheckpointFiles, readModelCheckpoint, writeCheckpointFiles, type CheckpointConfig, type LanguageModel } from '@recurrent/layers';
import type { TrainerState } from '../loop/trainer';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer';

export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_FILE = 'trainer.json';

/** The tokenizer and vocabulary a checkpoint's config.json records (layers' `writeModelCheckpoint` meta). */
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
 * Writes a checkpoint directory in one atomic step: `config.json` + `model.safetensors`
 * (format `recurrent-lm/1`), and, when given, `optimizer.safetensors` (the optimizer's state
 * tensors by name; its scalars in the metadata) and `trainer.json`. A crash mid-write leaves the
 * previous checkpoint whole. The directory holds exactly what this call writes: a model-only save
 * over a full checkpoint leaves no stale optimizer or trainer state behind.
 */
export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<void> {
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
  await writeCheckpointFiles(dir, files, { replace: true, beforeSwap: options.beforeSwap });
}

/** Reads a checkpoint directory; the optimizer and trainer parts are null when absent. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  // readModelCheckpoint first finishes any interrupted swap (layers' recoverCheckpointDir).
  const { config, model } = await readModelCheckpoint(dir);
  try {
    const optimizer = await optionalFile(dir, OPTIMIZER_FILE);
    const trainer = await optionalFile(dir, TRAINER_FILE);
    return {
      config,
      model,
      optimizer: optimizer ? decodeOptimizer(optimizer) : null,
      trainer: trainer ? parseTrainerState(new TextDecoder().decode(trainer)) : null,
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

async function optionalFile(dir: string, name: string): Promise<Uint8Array | null> {
  try {
    const buf = await readFile(join(dir, name));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ENOENT') return null;
    throw new CheckpointError(`loadCheckpoint: cannot read ${join(dir, name)} (${(cause as Error).message})`, { cause });
  }
}

function decodeOptimizer(bytes: Uint8Array): OptimizerStateDict {
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
