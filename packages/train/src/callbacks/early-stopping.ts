import { checkInt, checkNumber } from '@recurrent/core';
import type { EpochStats, TrainerCallback } from '../loop/types';

export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping (default 3). */
  patience?: number;
  /** Smallest decrease that counts as an improvement (default 0). */
  minDelta?: number;
  /** Which loss to watch: the validation loss when there is one (default), or the training loss. */
  monitor?: 'validation' | 'train';
}

/** Stops the run when the watched loss has not improved for `patience` epochs. */
export function earlyStopping(options: EarlyStoppingOptions = {}): TrainerCallback & { readonly best: number } {
  const patience = checkInt('earlyStopping', 'options.patience', options.patience ?? 3);
  const minDelta = checkNumber('earlyStopping', 'options.minDelta', options.minDelta ?? 0, { min: 0 });
  const monitor = options.monitor ?? 'validation';
  let best = Infinity;
  let bad = 0;
  return {
    get best() {
      return best;
    },
    onTrainBegin() {
      best = Infinity;
      bad = 0;
    },
    onEpochEnd(stats: EpochStats, trainer) {
      const value = monitor === 'validation' && stats.validation ? stats.validation.loss : stats.loss;
      if (value < best - minDelta) {
        best = value;
        bad = 0;
      } else if (++bad >= patience) {
        trainer.stop();
      }
    },
  };
}
