// The epoch loop that `Trainer` (one thread) and `DataParallelTrainer` (worker threads) share:
// callbacks, validation, the epoch-wise schedule step, the history and stopping, in one order.
import type { LRScheduler } from '../schedules/schedule';
import type { FitOptions } from './trainer';
import type { BatchSource, EpochStats, EvalResult, TrainerCallback, TrainerLike } from './types';

/** What the loop reads and advances on a trainer. */
export interface EpochHost extends TrainerLike {
  epoch: number;
  history: EpochStats[];
  readonly callbacks: readonly TrainerCallback[];
  readonly scheduler: LRScheduler | null;
  readonly scheduleEvery: 'step' | 'epoch';
  /** Whether `stop()` was called since this fit began. */
  readonly stopRequested: boolean;
  /** Whether `interrupt()` was called since this fit began. */
  readonly interruptRequested: boolean;
  /**
   * Called as epoch `epoch` begins, before its data is drawn: the host notes the random state
   * (for a mid-epoch checkpoint) or, resuming inside this epoch, puts back the one it began with.
   */
  beginEpoch(epoch: number): void;
  /** Held-out loss of the model as it is after the epoch's training. */
  evaluate(source: BatchSource): Promise<EvalResult>;
}

/** What differs between the trainers: how an epoch trains, and what ends the run before `onTrainEnd`. */
export interface EpochRun {
  /**
   * One pass over `source` (continuing a resumed position); on return the host's model holds
   * the epoch's weights. Null when `interrupt()` ended it before its end.
   */
  trainEpoch(source: BatchSource, epoch: number): Promise<EpochStats | null>;
  /** Runs after the last epoch and before `onTrainEnd` (e.g. stopping the workers). */
  finish?(): Promise<void>;
}

/**
 * Runs epochs `host.epoch + 1 … epochs`; returns the whole history. Each epoch: `onEpochBegin`,
 * the training pass, then validation, then (with `scheduleEvery: 'epoch'`) the schedule's step,
 * then `onEpochEnd`. An interrupted epoch ends the run there (no validation, no schedule step, no
 * history entry: it is not finished); `onTrainEnd` still runs. The schedule steps after validation as PyTorch's `scheduler.step()` goes
 * after the validation pass: the validation loss belongs to the epoch's learning rate, and a
 * schedule that reads it (a plateau schedule) sees it before deciding; a validation that throws
 * leaves the schedule where the last finished epoch left it.
 */
export async function runEpochs(host: EpochHost, epochs: number, options: FitOptions, run: EpochRun): Promise<EpochStats[]> {
  for (const cb of host.callbacks) await cb.onTrainBegin?.(host);
  while (host.epoch < epochs && !host.stopRequested && !host.interruptRequested) {
    const epoch = host.epoch + 1;
    for (const cb of host.callbacks) await cb.onEpochBegin?.(epoch, host);
    host.beginEpoch(epoch);
    const stats = await run.trainEpoch(options.data(epoch, host.random), epoch);
    if (stats === null) break;
    if (options.validation) stats.validation = await host.evaluate(options.validation());
    if (host.scheduler && host.scheduleEvery === 'epoch') host.scheduler.step();
    host.epoch = epoch;
    host.history.push(stats);
    for (const cb of host.callbacks) await cb.onEpochEnd?.(stats, host);
  }
  await run.finish?.();
  for (const cb of host.callbacks) await cb.onTrainEnd?.(host.history, host);
  return host.history;
}
