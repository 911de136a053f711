import { InvalidArgumentError, RecurrentError, ShapeError, tf, type Tensor } from '@recurrent/core';
import type { Parameter } from './parameter';

export type StateDict = Record<string, Tensor>;

export interface LoadStateDictOptions {
  /** Refuse missing and unexpected keys (default true), as PyTorch's `strict`. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * The base of every layer, as `torch.nn.Module`: parameters and child modules registered by name
 * (nested names are dotted: `rnn.weight_ih_l0`), state dicts in PyTorch's names, train/eval mode.
 */
export abstract class Module {
  training = true;
  private readonly _params = new Map<string, Parameter | null>();
  private readonly _children = new Map<string, Module>();

  /** Registers a parameter under `name` (PyTorch's `register_parameter`); null keeps the slot empty. */
  protected registerParameter(name: string, param: Parameter | null): Parameter | null {
    if (this._params.has(name) || this._children.has(name)) {
      throw new InvalidArgumentError({
        fn: `${this.constructor.name}.registerParameter`,
        argument: 'name',
        expected: 'a name not yet used',
        received: name,
      });
    }
    this._params.set(name, param);
    return param;
  }

  /** Registers a child module under `name`; its parameters appear as `name.<param>`. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    if (this._params.has(name) || this._children.has(name)) {
      throw new InvalidArgumentError({
        fn: `${this.constructor.name}.registerModule`,
        argument: 'name',
        expected: 'a name not yet used',
        received: name,
      });
    }
    this._children.set(name, module);
    return module;
  }

  /** Child modules in registration order. */
  namedChildren(): [string, Module][] {
    return [...this._children];
  }

  /** Every parameter with its dotted name, in registration order (children after own). */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [name, p] of this._params) if (p) out.push([prefix + name, p]);
    for (const [name, child] of this._children)
      out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of parameter elements. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Sets training mode here and in every child (dropout is active only in training). */
  train(mode = true): this {
    this.training = mode;
    for (const child of this._children.values()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /**
   * A copy of every parameter under its PyTorch name. The tensors are new: the caller disposes
   * them (or hands them to `saveSafetensors`).
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [name, p] of this.namedParameters()) out[name] = tf.clone(p.value);
    return out;
  }

  /**
   * Copies values into the parameters by name. Wrong shapes always throw; missing and unexpected
   * keys throw when `strict` (the default). Nothing is changed when it throws.
   */
  loadStateDict(dict: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const fn = `${this.constructor.name}.loadStateDict`;
    const params = new Map(this.namedParameters());
    const missingKeys = [...params.keys()].filter((k) => !(k in dict));
    const unexpectedKeys = Object.keys(dict).filter((k) => !params.has(k));
    const wrongShape: string[] = [];
    for (const [name, p] of params) {
      const t = dict[name];
      if (t && (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))) {
        wrongShape.push(`${name}: expected [${p.shape.join(', ')}], got [${t.shape.join(', ')}]`);
      }
    }
    if (wrongShape.length > 0) {
      throw new ShapeError({
        fn,
        argument: 'dict',
        expected: "tensors of the parameters' shapes",
        received: wrongShape.join('; '),
      });
    }
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts = [];
      if (missingKeys.length) parts.push(`missing keys ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) parts.push(`unexpected keys ${unexpectedKeys.join(', ')}`);
      throw new RecurrentError(
        'CHECKPOINT',
        `${fn}: the state dict does not match the module: ${parts.join('; ')}`,
      );
    }
    for (const [name, p] of params) {
      const t = dict[name];
      if (t) p.assign(t.dtype === 'float32' ? t : tf.tidy(() => tf.cast(t, 'float32')));
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Disposes every parameter and gradient, here and (through their own `dispose`) in every child. */
  dispose(): void {
    for (const p of this._params.values()) p?.dispose();
    for (const child of this._children.values()) child.dispose();
  }
}
