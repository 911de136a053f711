import { InvalidArgumentError, checkOneOf, tf } from '@recurrent/core';
import type { Parameter } from '@recurrent/layers';
import { Adam, AdamW, type AdamOptions } from '../optim/adam';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer';
import { RMSprop, type RMSpropOptions } from '../optim/rmsprop';
import { SGD, type SGDOptions } from '../optim/sgd';
import type { PlainOptimizerState } from './protocol';

/**
 * An optimizer by name and options, so that every worker can build its own copy:
 * `{ type: 'sgd', lr: 1 }`, `{ type: 'adam', lr: 1e-3 }`, `{ type: 'adamw', … }`, `{ type: 'rmsprop', … }`.
 */
export type OptimizerSpec =
  | ({ type: 'sgd' } & SGDOptions)
  | ({ type: 'adam' } & AdamOptions)
  | ({ type: 'adamw' } & AdamOptions)
  | ({ type: 'rmsprop' } & RMSpropOptions);

export const OPTIMIZER_TYPES = ['sgd', 'adam', 'adamw', 'rmsprop'] as const;

/** Builds the optimizer `spec` names over `params` (its constructor validates the options). */
export function createOptimizer(params: readonly Parameter[], spec: OptimizerSpec, fn = 'createOptimizer'): Optimizer {
  if (spec === null || typeof spec !== 'object') {
    throw new InvalidArgumentError({ fn, argument: 'options.optimizer', expected: "an object such as { type: 'sgd', lr: 1 }", received: spec });
  }
  const type = checkOneOf(fn, 'options.optimizer.type', spec.type, OPTIMIZER_TYPES);
  const { type: _, ...options } = spec;
  switch (type) {
    case 'sgd':
      return new SGD(params, options as SGDOptions);
    case 'adam':
      return new Adam(params, options as AdamOptions);
    case 'adamw':
      return new AdamW(params, options as AdamOptions);
    case 'rmsprop':
      return new RMSprop(params, options as RMSpropOptions);
  }
}

/** The optimizer's state as plain arrays (for a message). */
export function plainOptimizerState(optimizer: Optimizer): PlainOptimizerState {
  const dict = optimizer.stateDict();
  const tensors: PlainOptimizerState['tensors'] = {};
  for (const [name, t] of Object.entries(dict.tensors)) {
    tensors[name] = { data: t.dataSync() as Float32Array, shape: [...t.shape] };
    t.dispose();
  }
  return { tensors, scalars: dict.scalars };
}

/** Loads a state from `plainOptimizerState` into `optimizer`. */
export function loadPlainOptimizerState(optimizer: Optimizer, state: PlainOptimizerState): void {
  const tensors: OptimizerStateDict['tensors'] = {};
  for (const [name, { data, shape }] of Object.entries(state.tensors)) tensors[name] = tf.tensor(data, shape, 'float32');
  try {
    optimizer.loadStateDict({ tensors, scalars: state.scalars });
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
