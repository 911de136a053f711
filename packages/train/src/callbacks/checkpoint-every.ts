import { checkInt } from '@recurrent/core';
import type { LanguageModel } from '@recurrent/layers';
import { saveCheckpoint } from '../checkpoint/checkpoint-directory';
import type { CheckpointMeta } from '../checkpoint/checkpoint-files';
import type { Trainer } from '../loop/trainer';
import type { TrainerCallback } from '../loop/types';

export interface CheckpointEveryOptions extends CheckpointMeta {
  dir: string;
  trainer: Trainer;
  model: LanguageModel;
  /** Save after every `every` epochs (default 1) and after the last one. */
  every?: number;
  /** Called after each save (e.g. to print a line). */
  onSaved?: (dir: string, epoch: number) => void;
}

/**
 * Saves model, optimizer and trainer state to `dir` every N epochs (atomically). A run stopped by
 * a non-finite loss never reaches this, so the last good checkpoint stays.
 */
export function checkpointEvery(options: CheckpointEveryOptions): TrainerCallback {
  const every = checkInt('checkpointEvery', 'options.every', options.every ?? 1);
  const save = async (epoch: number): Promise<void> => {
    const { trainer } = options;
    await saveCheckpoint(options.dir, { model: options.model, optimizer: trainer.optimizer, trainer: trainer.getState(), tokenizer: options.tokenizer, vocab: options.vocab });
    options.onSaved?.(options.dir, epoch);
  };
  let lastSaved = -1;
  return {
    async onEpochEnd(stats) {
      if (stats.epoch % every === 0) {
        await save(stats.epoch);
        lastSaved = stats.epoch;
      }
    },
    async onTrainEnd(_history, trainer) {
      if (trainer.epoch > 0 && lastSaved !== trainer.epoch) await save(trainer.epoch);
    },
  };
}
