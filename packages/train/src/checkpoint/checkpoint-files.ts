// A training checkpoint as files (name -> bytes or text): the model's `config.json` and
// `model.safetensors` (layers' `recurrent-lm/1` format), plus the optimizer's state and the
// trainer's. Platform-neutral: `@recurrent/train/node` writes and reads them as a directory; a
// browser can download or upload the same files.
import { CheckpointError, InvalidArgumentError, decodeSafetensors, describe, encodeSafetensors, parseSafetensors, tf, type Tensor } from '@recurrent/core';
import { CONFIG_FILE, MODEL_FILE, checkModelAndMeta, modelCheckpointFiles, modelFromCheckpointFiles, readSafetensors, type CheckpointConfig, type LanguageModel, type RecurrentState } from '@recurrent/layers';
import { checkStateTensors, checkTrainerState, type TrainerState } from '../loop/trainer';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer';

export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_FILE = 'trainer.json';
/** The state a checkpoint taken inside an epoch carries into the next batch: `h` (and `c`), [L, B, H]. */
export const CARRIED_STATE_FILE = 'carried-state.safetensors';

/** The tokenizer and vocabulary a checkpoint's config.json records (layers' `modelCheckpointFiles` meta). */
export type CheckpointMeta = Parameters<typeof modelCheckpointFiles>[1];

/** What a training checkpoint holds. `optimizer` and `trainer` are optional (a model-only checkpoint). */
export interface SaveCheckpointOptions extends CheckpointMeta {
  model: LanguageModel;
  optimizer?: Optimizer;
  trainer?: TrainerState;
  /** Inside an epoch: the state the next batch continues from (`trainer.carriedState()`). */
  carriedState?: RecurrentState | null;
  /** Test hook: runs after the files are written, before the directory is swapped in. */
  beforeSwap?: () => void | Promise<void>;
}

export interface LoadedCheckpoint {
  config: CheckpointConfig;
  model: LanguageModel;
  /** The optimizer state (tensors owned by the caller: load into an optimizer, then dispose). */
  optimizer: OptimizerStateDict | null;
  trainer: TrainerState | null;
  /** The carried state of a checkpoint taken inside an epoch (tensors owned by the caller), else null. */
  carriedState: RecurrentState | null;
}

/**
 * The files of a training checkpoint: `config.json` + `model.safetensors` (format
 * `recurrent-lm/1`), and, when given, `optimizer.safetensors` (the optimizer's state tensors by
 * name; its scalars in the metadata) and `trainer.json`.
 */
export function trainingCheckpointFiles(options: Omit<SaveCheckpointOptions, 'beforeSwap'>): Record<string, Uint8Array | string> {
  const fn = 'trainingCheckpointFiles';
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError({ fn, argument: 'options', expected: 'an object { model, tokenizer, vocab, optimizer?, trainer? }', received: options });
  checkModelAndMeta(fn, options.model, options, { model: 'options.model', meta: 'options' });
  if (options.optimizer !== undefined && typeof options.optimizer?.stateDict !== 'function') {
    throw new InvalidArgumentError({ fn, argument: 'options.optimizer', expected: 'an Optimizer', received: options.optimizer });
  }
  if (options.trainer !== undefined && (options.trainer === null || typeof options.trainer !== 'object')) {
    throw new InvalidArgumentError({ fn, argument: 'options.trainer', expected: "a trainer's getState()", received: options.trainer });
  }
  if (options.carriedState) checkStateTensors(fn, options.carriedState);
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
  if (options.carriedState) {
    const { h, c } = options.carriedState;
    files[CARRIED_STATE_FILE] = encodeSafetensors(c ? { h, c } : { h }, { format: 'recurrent-carried-state/1' });
  }
  return files;
}

/**
 * A training checkpoint from its files' contents: the model (built and loaded), and the
 * optimizer and trainer parts, null when their files are absent. Everything is checked before the
 * model is handed back; on any error nothing is left allocated.
 */
export function checkpointFromFiles(files: Readonly<Record<string, Uint8Array | string | undefined>>): LoadedCheckpoint {
  const fn = 'checkpointFromFiles';
  if (files === null || typeof files !== 'object') throw new InvalidArgumentError({ fn, argument: 'files', expected: 'an object of file names to contents', received: files });
  const config = files[CONFIG_FILE];
  const weights = files[MODEL_FILE];
  if (config === undefined) throw new CheckpointError(`${fn}: the checkpoint has no ${CONFIG_FILE}`);
  if (!(weights instanceof Uint8Array)) throw new CheckpointError(`${fn}: the checkpoint's ${MODEL_FILE} must be bytes, got ${weights === undefined ? 'none' : typeof weights}`);
  const optimizerBytes = files[OPTIMIZER_FILE];
  const trainerText = files[TRAINER_FILE];
  const carriedBytes = files[CARRIED_STATE_FILE];
  if (optimizerBytes !== undefined && !(optimizerBytes instanceof Uint8Array)) throw new CheckpointError(`${fn}: ${OPTIMIZER_FILE} must be bytes`);
  if (carriedBytes !== undefined && !(carriedBytes instanceof Uint8Array)) throw new CheckpointError(`${fn}: ${CARRIED_STATE_FILE} must be bytes`);
  // The small parts first, so that a bad one costs no model.
  const trainer = trainerText === undefined ? null : parseTrainerState(typeof trainerText === 'string' ? trainerText : new TextDecoder().decode(trainerText));
  if (optimizerBytes !== undefined) checkOptimizerScalars(optimizerBytes);
  if (carriedBytes !== undefined) checkCarriedState(carriedBytes);
  const { config: parsed, model } = modelFromCheckpointFiles(config, weights);
  let optimizer: OptimizerStateDict | null = null;
  try {
    optimizer = optimizerBytes === undefined ? null : decodeOptimizer(optimizerBytes);
    const carriedState = carriedBytes === undefined ? null : decodeCarriedState(carriedBytes);
    return { config: parsed, model, optimizer, trainer, carriedState };
  } catch (e) {
    if (optimizer) tf.dispose(Object.values(optimizer.tensors));
    model.dispose();
    throw e;
  }
}

function checkOptimizerScalars(bytes: Uint8Array): OptimizerStateDict['scalars'] {
  const parsed = readSafetensors(OPTIMIZER_FILE, () => parseSafetensors(bytes));
  const raw = parsed.metadata?.scalars;
  let scalars: OptimizerStateDict['scalars'];
  try {
    scalars = JSON.parse(raw ?? '') as OptimizerStateDict['scalars'];
  } catch (cause) {
    throw new CheckpointError(`loadCheckpoint: ${OPTIMIZER_FILE} has no readable 'scalars' metadata`, { cause });
  }
  if (!scalars || typeof scalars !== 'object' || typeof scalars.type !== 'string' || !Array.isArray(scalars.steps) || !scalars.steps.every((n) => Number.isSafeInteger(n) && n >= 0) || scalars.options === null || typeof scalars.options !== 'object') {
    throw new CheckpointError(`loadCheckpoint: ${OPTIMIZER_FILE} metadata 'scalars' must hold type (a string), options (an object) and steps (non-negative integers)`);
  }
  return scalars;
}

function decodeOptimizer(bytes: Uint8Array): OptimizerStateDict {
  const scalars = checkOptimizerScalars(bytes);
  const tensors: Record<string, Tensor> = readSafetensors(OPTIMIZER_FILE, () => decodeSafetensors(bytes));
  return { tensors, scalars };
}

/** The carried state's header: float32 `h` and optional `c` of the same rank-3 shape, nothing else. */
function checkCarriedState(bytes: Uint8Array): void {
  const { tensors } = readSafetensors(CARRIED_STATE_FILE, () => parseSafetensors(bytes));
  const names = Object.keys(tensors).sort();
  if (!(names.length === 1 && names[0] === 'h') && !(names.length === 2 && names[0] === 'c' && names[1] === 'h')) {
    throw new CheckpointError(`loadCheckpoint: ${CARRIED_STATE_FILE} must hold the tensors 'h' (and 'c'), got ${names.map((n) => `'${n}'`).join(', ') || 'none'}`);
  }
  for (const name of names) {
    const t = tensors[name]!;
    if (t.dtype !== 'F32' || t.shape.length !== 3) throw new CheckpointError(`loadCheckpoint: ${CARRIED_STATE_FILE} tensor '${name}' must be F32 of rank 3 [L, B, H], got ${t.dtype} [${t.shape.join(', ')}]`);
    if (t.shape.join() !== tensors.h!.shape.join()) throw new CheckpointError(`loadCheckpoint: ${CARRIED_STATE_FILE} tensors 'h' and 'c' must have one shape`);
  }
}

function decodeCarriedState(bytes: Uint8Array): RecurrentState {
  const { h, c } = readSafetensors(CARRIED_STATE_FILE, () => decodeSafetensors(bytes));
  return c ? { h: h!, c } : { h: h! };
}

/** `trainer.json`, checked as `Trainer.setState` checks it; a bad key is a `CheckpointError` naming it. */
function parseTrainerState(text: string): TrainerState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CheckpointError(`loadCheckpoint: ${TRAINER_FILE} is not valid JSON`, { cause });
  }
  try {
    checkTrainerState('loadCheckpoint', json as TrainerState);
  } catch (cause) {
    if (!(cause instanceof InvalidArgumentError)) throw cause;
    const key = cause.argument === 'state' ? 'the whole file' : `key '${cause.argument.replace(/^state\./, '')}'`;
    throw new CheckpointError(`loadCheckpoint: ${TRAINER_FILE} ${key} must be ${cause.expected}, got ${describe(cause.received)}`, { cause });
  }
  const s = json as TrainerState;
  return { step: s.step, epoch: s.epoch, random: s.random, scheduler: s.scheduler ?? null, history: s.history, position: s.position ?? null, ...(s.run ? { run: s.run } : {}) };
}
