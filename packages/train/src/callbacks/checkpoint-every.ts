import { InvalidArgumentError, checkInt } from '@recurrent/core';
import type { LanguageModel, RecurrentState } from '@recurrent/layers';
import { saveCheckpoint } from '../checkpoint/checkpoint-directory';
import type { CheckpointMeta } from '../checkpoint/checkpoint-files';
import type { TrainerState } from '../loop/trainer';
import type { TrainerCallback, TrainerLike } from '../loop/types';
import type { Optimizer } from '../optim/optimizer';

/** What a checkpoint needs of a trainer (`Trainer` fits; `DataParallelTrainer` at epoch ends and after `interrupt()`). */
export interface CheckpointableTrainer extends TrainerLike {
  readonly optimizer: Optimizer;
  getState(): TrainerState;
  carriedState(): RecurrentState | null;
}

export interface CheckpointEveryOptions extends CheckpointMeta {
  dir: string;
  trainer: CheckpointableTrainer;
  model: LanguageModel;
  /** Save after every `every` epochs (default 1) and after the last one. */
  every?: number;
  /**
   * Also save every `steps` optimizer steps, inside epochs too (the checkpoint then holds the
   * epoch's position and carried state: `--resume` continues from the next batch).
   */
  steps?: number;
  /** Called after each save (e.g. to print a line). */
  onSaved?: (dir: string, epoch: number, step: number) => void;
}

/**
 * Saves model, optimizer and trainer state to `dir` (atomically) every N epochs, every N steps
 * if asked, and when the run ends with progress not yet saved (an interrupted run included: its
 * checkpoint resumes inside the epoch). A run stopped by a non-finite loss never reaches a save, so
 * the last good checkpoint stays.
 */
export function checkpointEvery(options: CheckpointEveryOptions): TrainerCallback {
  const fn = 'checkpointEvery';
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError({ fn, argument: 'options', expected: 'an object { dir, trainer, model, tokenizer, vocab }', received: options });
  const every = checkInt(fn, 'options.every', options.every ?? 1);
  const steps = options.steps === undefined ? null : checkInt(fn, 'options.steps', options.steps);
  if (typeof options.dir !== 'string' || options.dir === '') throw new InvalidArgumentError({ fn, argument: 'options.dir', expected: 'a directory path', received: options.dir });
  if (!options.trainer || typeof options.trainer.getState !== 'function') throw new InvalidArgumentError({ fn, argument: 'options.trainer', expected: 'a Trainer', received: options.trainer });
  let lastSaved = -1; // the trainer's step at the last save
  const save = async (): Promise<void> => {
    const { trainer } = options;
    await saveCheckpoint(options.dir, {
      model: options.model,
      optimizer: trainer.optimizer,
      trainer: trainer.getState(),
      carriedState: trainer.carriedState(),
      tokenizer: options.tokenizer,
      vocab: options.vocab,
      ...(options.trainedWith ? { trainedWith: options.trainedWith } : {}),
    });
    lastSaved = trainer.step;
    options.onSaved?.(options.dir, trainer.epoch, trainer.step);
  };
  return {
    async onStep(info) {
      if (steps !== null && info.step % steps === 0) await save();
    },
    async onEpochEnd(stats) {
      if (stats.epoch % every === 0) await save(); // a clean epoch-end checkpoint, even after a step's save
    },
    async onTrainEnd(_history, trainer) {
      if (trainer.step > 0 && lastSaved !== trainer.step) await save();
    },
  };
}
