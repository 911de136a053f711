import { InvalidArgumentError, checkInt, checkNumber } from '@recurrent/core';
import type { Optimizer } from '../optim/optimizer';

/**
 * A learning-rate schedule as JSON (so a checkpoint can store it). The learning rate at step `t`
 * (counted from 0, in the unit the scheduler is stepped in) is `baseLr * factor(t)`.
 * - `step`: `gamma ^ floor(t / stepSize)` (PyTorch `StepLR`)
 * - `exponential`: `gamma ^ t` (`ExponentialLR`)
 * - `cosine`: `minFactor + (1 - minFactor) (1 + cos(pi t / tMax)) / 2`, held at `minFactor` after `tMax`
 * - `warmup`: linear from `startFactor` to 1 over `steps`, then 1 (`LinearLR`)
 * - `constant`: 1
 * - `chain`: the product of the factors (PyTorch `ChainedScheduler`), e.g. warm-up then cosine
 *   (give the cosine an `offset` so it starts after the warm-up).
 */
export type ScheduleSpec =
  | { type: 'constant' }
  | { type: 'step'; stepSize: number; gamma?: number }
  | { type: 'exponential'; gamma: number }
  | { type: 'cosine'; tMax: number; minFactor?: number; offset?: number }
  | { type: 'warmup'; steps: number; startFactor?: number }
  | { type: 'chain'; schedules: readonly ScheduleSpec[] };

/** The multiplier of the base learning rate at step `t`. Validates the spec. */
export function scheduleFactor(spec: ScheduleSpec, t: number): number {
  const fn = 'scheduleFactor';
  checkInt(fn, 't', t, 0);
  switch (spec?.type) {
    case 'constant':
      return 1;
    case 'step': {
      const size = checkInt(fn, 'spec.stepSize', spec.stepSize);
      const gamma = checkNumber(fn, 'spec.gamma', spec.gamma ?? 0.1, { min: 0 });
      return gamma ** Math.floor(t / size);
    }
    case 'exponential':
      return checkNumber(fn, 'spec.gamma', spec.gamma, { min: 0 }) ** t;
    case 'cosine': {
      const tMax = checkInt(fn, 'spec.tMax', spec.tMax);
      const min = checkNumber(fn, 'spec.minFactor', spec.minFactor ?? 0, { min: 0, max: 1 });
      const offset = checkInt(fn, 'spec.offset', spec.offset ?? 0, 0);
      const u = Math.min(Math.max(t - offset, 0), tMax);
      return min + ((1 - min) * (1 + Math.cos((Math.PI * u) / tMax))) / 2;
    }
    case 'warmup': {
      const steps = checkInt(fn, 'spec.steps', spec.steps);
      const start = checkNumber(fn, 'spec.startFactor', spec.startFactor ?? 1 / 3, { min: 0, max: 1 });
      return t >= steps ? 1 : start + ((1 - start) * t) / steps;
    }
    case 'chain':
      if (!Array.isArray(spec.schedules)) throw new InvalidArgumentError({ fn, argument: 'spec.schedules', expected: 'an array of schedules', received: spec.schedules });
      return spec.schedules.reduce((f, s) => f * scheduleFactor(s, t), 1);
    default:
      throw new InvalidArgumentError({ fn, argument: 'spec.type', expected: "one of 'constant', 'step', 'exponential', 'cosine', 'warmup', 'chain'", received: (spec as { type?: unknown })?.type });
  }
}

/** The JSON state of a scheduler, for `trainer.json`. */
export interface LRSchedulerState {
  spec: ScheduleSpec;
  baseLr: number;
  t: number;
}

/**
 * Sets `optimizer.lr = baseLr * factor(t)`; `step()` advances `t` (call it once per optimizer
 * step or once per epoch, as you choose). The constructor applies `t = 0` at once.
 */
export class LRScheduler {
  spec: ScheduleSpec;
  baseLr: number;
  t = 0;

  constructor(
    readonly optimizer: Optimizer,
    spec: ScheduleSpec,
  ) {
    if (!optimizer || typeof optimizer.step !== 'function') throw new InvalidArgumentError({ fn: 'LRScheduler', argument: 'optimizer', expected: 'an Optimizer', received: optimizer });
    scheduleFactor(spec, 0);
    this.spec = spec;
    this.baseLr = optimizer.lr;
    this.apply();
  }

  /** The learning rate for the current `t`. */
  get lr(): number {
    return this.baseLr * scheduleFactor(this.spec, this.t);
  }

  step(): void {
    this.t += 1;
    this.apply();
  }

  stateDict(): LRSchedulerState {
    return { spec: this.spec, baseLr: this.baseLr, t: this.t };
  }

  /** Restores spec, base learning rate and position (the spec in the state wins). */
  loadStateDict(state: LRSchedulerState): void {
    if (state === null || typeof state !== 'object') throw new InvalidArgumentError({ fn: 'LRScheduler.loadStateDict', argument: 'state', expected: 'a state from stateDict()', received: state });
    checkNumber('LRScheduler.loadStateDict', 'state.baseLr', state.baseLr, { min: 0 });
    scheduleFactor(state.spec, state.t);
    this.spec = state.spec;
    this.baseLr = state.baseLr;
    this.t = state.t;
    this.apply();
  }

  private apply(): void {
    this.optimizer.lr = this.lr;
  }
}
