import { CheckpointError, InvalidArgumentError, describe, tf, type Tensor } from '@recurrent/core';
import type { Parameter } from '@recurrent/layers';

/** Optimizer state for checkpoints: tensors by name (`state.<i>.<buffer>`) plus JSON scalars. */
export interface OptimizerStateDict {
  tensors: Record<string, Tensor>;
  scalars: {
    type: string;
    /** Hyper-parameters, including the current `lr`. */
    options: Record<string, unknown>;
    /** Steps taken by each parameter (PyTorch's per-parameter `step`), by parameter index. */
    steps: number[];
  };
}

/**
 * The shared machinery of the optimizers: parameters, per-parameter state buffers and step
 * counts, `zeroGrad`, `step` and state dicts. Subclasses write `update`.
 */
export abstract class Optimizer {
  readonly params: readonly Parameter[];
  /** The learning rate used by the next `step` (schedules change it). */
  lr: number;
  protected readonly state: Map<string, Tensor>[];
  protected readonly steps: number[];
  abstract readonly type: string;

  constructor(params: readonly Parameter[], lr: number) {
    const fn = `${new.target.name}`;
    if (!Array.isArray(params) || params.length === 0) {
      throw new InvalidArgumentError({ fn, argument: 'params', expected: 'a non-empty array of parameters', received: params });
    }
    if (!(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) {
      throw new InvalidArgumentError({ fn, argument: 'options.lr', expected: 'a finite number >= 0', received: lr });
    }
    this.params = [...params];
    this.lr = lr;
    this.state = this.params.map(() => new Map());
    this.steps = this.params.map(() => 0);
  }

  /** Hyper-parameters other than `lr`, for the state dict. */
  protected abstract hyper(): Record<string, unknown>;

  /**
   * Computes the new value of parameter `i` from its value and gradient; reads and returns its
   * state buffers. Runs inside a `tf.tidy`.
   */
  protected abstract update(
    value: Tensor,
    grad: Tensor,
    state: ReadonlyMap<string, Tensor>,
    step: number,
  ): { value: Tensor; state: Record<string, Tensor> };

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** One update of every parameter that has a gradient (others are skipped, as in PyTorch). */
  step(): void {
    this.params.forEach((p, i) => {
      if (!p.grad || !p.requiresGrad) return;
      const step = this.steps[i]! + 1;
      const grad = p.grad;
      const state = this.state[i]!;
      const out = tf.tidy(() => {
        const r = this.update(p.value, grad, state, step);
        return { value: r.value, ...prefix(r.state) };
      });
      p.assign(out.value);
      out.value.dispose();
      for (const [k, t] of Object.entries(out)) {
        if (k === 'value') continue;
        const name = k.slice(2);
        const old = state.get(name);
        if (old && old !== t) old.dispose();
        state.set(name, t);
      }
      this.steps[i] = step;
    });
  }

  /** A copy of the state (new tensors: the caller disposes them). */
  stateDict(): OptimizerStateDict {
    const tensors: Record<string, Tensor> = {};
    this.state.forEach((m, i) => {
      for (const [name, t] of m) tensors[`state.${i}.${name}`] = tf.clone(t);
    });
    return { tensors, scalars: { type: this.type, options: { lr: this.lr, ...this.hyper() }, steps: [...this.steps] } };
  }

  /** Restores a state from `stateDict()` (tensors are copied; the caller keeps ownership). */
  loadStateDict(dict: OptimizerStateDict): void {
    const fn = `${this.type}.loadStateDict`;
    const scalars = dict?.scalars;
    if (dict === null || typeof dict !== 'object' || dict.tensors === null || typeof dict.tensors !== 'object' || scalars === null || typeof scalars !== 'object') {
      throw new CheckpointError(`${fn}: the state must be { tensors, scalars } (from stateDict() or a checkpoint)`);
    }
    if (scalars.options === null || typeof scalars.options !== 'object' || !Array.isArray(scalars.steps) || !scalars.steps.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw new CheckpointError(`${fn}: the state's scalars must hold options (an object) and steps (non-negative integers), got ${describe(scalars)}`);
    }
    const lr = scalars.options.lr;
    if (lr !== undefined && !(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) {
      throw new CheckpointError(`${fn}: the state's learning rate must be a finite number >= 0, got ${describe(lr)}`);
    }
    if (dict.scalars.type !== this.type) {
      throw new CheckpointError(`${fn}: the state is for optimizer '${dict.scalars.type}', not '${this.type}'`);
    }
    if (dict.scalars.steps.length !== this.params.length) {
      throw new CheckpointError(`${fn}: the state has ${dict.scalars.steps.length} parameters, the optimizer ${this.params.length}`);
    }
    for (const [key, t] of Object.entries(dict.tensors)) {
      const m = /^state\.(\d+)\.(\w+)$/.exec(key);
      const p = m ? this.params[Number(m[1])] : undefined;
      if (!m || !p) throw new CheckpointError(`${fn}: unexpected tensor '${key}'`);
      if (!(t instanceof tf.Tensor) || t.isDisposed || t.dtype !== 'float32') throw new CheckpointError(`${fn}: '${key}' must be a float32 tensor, got ${describe(t)}`);
      if (t.shape.length !== p.shape.length || t.shape.some((d, j) => d !== p.shape[j])) {
        throw new CheckpointError(`${fn}: '${key}' has shape [${t.shape.join(', ')}], the parameter [${p.shape.join(', ')}]`);
      }
    }
    this.disposeState();
    for (const [key, t] of Object.entries(dict.tensors)) {
      const m = /^state\.(\d+)\.(\w+)$/.exec(key)!;
      this.state[Number(m[1])]!.set(m[2]!, tf.clone(t));
    }
    dict.scalars.steps.forEach((s, i) => (this.steps[i] = s));
    if (typeof lr === 'number') this.lr = lr;
  }

  private disposeState(): void {
    for (const m of this.state) {
      for (const t of m.values()) t.dispose();
      m.clear();
    }
  }

  /** Disposes the state buffers (not the parameters). */
  dispose(): void {
    this.disposeState();
  }
}

function prefix(state: Record<string, Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(state)) out[`s:${k}`] = v;
  return out;
}

/** Validation shared by the optimizers' constructors. */
export function checkHyper(fn: string, name: string, value: number, min = 0, max = Infinity, maxExclusive = false): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && (maxExclusive ? value < max : value <= max);
  if (!ok) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}${maxExclusive ? ')' : ']'}`;
    throw new InvalidArgumentError({ fn, argument: `options.${name}`, expected: `a finite number ${range}`, received: value });
  }
  return value;
}
