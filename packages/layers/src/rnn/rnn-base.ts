import {
  checkInt,
  checkNumber,
  checkOneOf,
  DTypeError,
  getRandom,
  gruStep,
  lstmStep,
  packStepWeights,
  rnnStep,
  type PackedStepWeights,
  type StepValuesInput,
  InvalidArgumentError,
  ShapeError,
  tf,
  type Random,
  type Tensor,
  checkFloatTensor,
  checkTensor,
  checkBool,
} from '@recurrent/core';
import { dropout as dropoutOp } from '../dropout/dropout';
import { checkTokenIds } from '../embedding/check-ids';
import { oneHot } from '../embedding/one-hot';
import { parameterFrom } from '../init/make-parameter';
import { uniformTensor } from '../init/uniform';
import { Module } from '../module/module';
import type { Parameter } from '../module/parameter';
import {
  CELL_SPECS,
  runSequenceComposed,
  type CellMode,
  type CellSpec,
  type CellState,
  type CellWeights,
} from './cell-spec';
import { DerivedCache } from './derived-cache';
import { runSequenceFused } from './fused';
import type { RecurrentState } from './state';
import { unstack0 } from './unstack';

/** How a layer runs a sequence: the whole-sequence op from @recurrent/core, or the per-step reference. */
export type RNNImplementation = 'fused' | 'composed';

/** Options shared by `RNN`, `LSTM` and `GRU` (camelCase of PyTorch's). */
export interface RNNBaseOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Adds `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** Input and output are [B, T, F] instead of [T, B, F] (default false). States stay [L*D, B, H]. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Adds a reverse direction per layer (default false). */
  bidirectional?: boolean;
  /** Source of the initial values and the dropout masks (default: the global `getRandom()`). */
  random?: Random;
  /** 'fused' (default: @recurrent/core's whole-sequence op) or 'composed' (per-step reference). */
  implementation?: RNNImplementation;
}

/** One layer-direction's parameters. */
interface DirectionParams {
  wIh: Parameter;
  wHh: Parameter;
  bIh: Parameter | null;
  bHh: Parameter | null;
}

/** What a forward pass returns: output [T, B, D*H] (or [B, T, D*H] when batchFirst) and the final state. */
export interface RNNForwardResult {
  output: Tensor;
  state: RecurrentState;
}

/**
 * The machinery shared by `RNN`, `LSTM` and `GRU`, as PyTorch's `RNNBase`: options, validation of
 * inputs and states (before any tensor work), parameters named `weight_ih_l{k}{_reverse}`,
 * `weight_hh_l{k}…`, `bias_ih_l{k}…`, `bias_hh_l{k}…` with shapes [G*H, in] / [G*H, H] / [G*H],
 * initialised from U(-1/√H, 1/√H), and the loop over layers and directions. Subclasses supply
 * only the cell (its step and state shape).
 */
export abstract class RNNBase extends Module {
  readonly mode: CellMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly numDirections: 1 | 2;
  implementation: RNNImplementation;
  protected readonly spec: CellSpec;
  protected readonly name: string;
  private readonly random: Random | undefined;
  private readonly cells: DirectionParams[][] = [];
  /** Weights packed for the fused generation steps (re-packed when a parameter changes). */
  private readonly packed = new DerivedCache<PackedStepWeights[]>(
    () => this.buildPacked(),
    (layers) => {
      for (const p of layers) p.dispose();
    },
  );

  protected constructor(
    name: string,
    mode: CellMode,
    inputSize: number,
    hiddenSize: number,
    options: RNNBaseOptions = {},
  ) {
    super();
    this.name = name;
    checkInt(name, 'inputSize', inputSize);
    checkInt(name, 'hiddenSize', hiddenSize);
    this.numLayers = checkInt(name, 'options.numLayers', options.numLayers ?? 1);
    this.bias = checkBool(name, 'options.bias', options.bias ?? true);
    this.batchFirst = checkBool(name, 'options.batchFirst', options.batchFirst ?? false);
    this.bidirectional = checkBool(name, 'options.bidirectional', options.bidirectional ?? false);
    this.dropout = checkNumber(name, 'options.dropout', options.dropout ?? 0, { min: 0, max: 1 });
    this.implementation = checkOneOf(
      name,
      'options.implementation',
      options.implementation ?? 'fused',
      ['fused', 'composed'] as const,
    );
    this.mode = mode;
    this.spec = CELL_SPECS[mode];
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numDirections = this.bidirectional ? 2 : 1;
    this.random = options.random;

    const random = options.random ?? getRandom();
    const bound = 1 / Math.sqrt(hiddenSize);
    const gateSize = this.spec.gates * hiddenSize;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerIn = layer === 0 ? inputSize : hiddenSize * this.numDirections;
      const dirs: DirectionParams[] = [];
      for (let d = 0; d < this.numDirections; d++) {
        const suffix = `_l${layer}${d === 1 ? '_reverse' : ''}`;
        const make = (name: string, shape: number[]): Parameter => {
          const p = parameterFrom(uniformTensor(shape, bound, random));
          this.registerParameter(name + suffix, p);
          return p;
        };
        const wIh = make('weight_ih', [gateSize, layerIn]);
        const wHh = make('weight_hh', [gateSize, hiddenSize]);
        const bIh = this.bias ? make('bias_ih', [gateSize]) : null;
        const bHh = this.bias ? make('bias_hh', [gateSize]) : null;
        dirs.push({ wIh, wHh, bIh, bHh });
      }
      this.cells.push(dirs);
    }
  }

  /** The state shape [L*D, B, H] for a batch of `batchSize`. */
  stateShape(batchSize: number): [number, number, number] {
    return [this.numLayers * this.numDirections, batchSize, this.hiddenSize];
  }

  /** A zero state for `batchSize` (h, and c for LSTM). The caller disposes it. */
  zeroState(batchSize: number): RecurrentState {
    checkInt(`${this.name}.zeroState`, 'batchSize', batchSize);
    const shape = this.stateShape(batchSize);
    return this.spec.hasCell ? { h: tf.zeros(shape), c: tf.zeros(shape) } : { h: tf.zeros(shape) };
  }

  /** Whether this layer will run the whole-sequence op from @recurrent/core. */
  get usesFusedOp(): boolean {
    return this.implementation === 'fused';
  }

  /**
   * Checks an input and an optional state against the layer, as PyTorch's `check_forward_args`,
   * and returns the batch size, the sequence length and whether the input has a batch axis.
   */
  protected checkForwardArgs(
    fn: string,
    x: Tensor,
    state: RecurrentState | undefined,
  ): { batched: boolean; T: number; B: number } {
    checkFloatTensor(fn, 'input', x);
    const rank = x.shape.length;
    if (rank !== 2 && rank !== 3) {
      const layout = this.batchFirst ? '[B, T, inputSize]' : '[T, B, inputSize]';
      throw new ShapeError({
        fn,
        argument: 'input',
        expected: `of rank 3 (${layout}) or 2 ([T, inputSize], unbatched)`,
        received: [...x.shape],
      });
    }
    const features = x.shape[rank - 1]!;
    if (features !== this.inputSize)
      throw new ShapeError({
        fn,
        argument: 'input size',
        expected: String(this.inputSize),
        received: features,
      });
    const batched = rank === 3;
    const T = batched && this.batchFirst ? x.shape[1]! : x.shape[0]!;
    const B = batched ? (this.batchFirst ? x.shape[0]! : x.shape[1]!) : 1;
    if (T < 1)
      throw new ShapeError({
        fn,
        argument: 'input',
        expected: 'a sequence of at least one step',
        received: [...x.shape],
      });
    if (B < 1)
      throw new ShapeError({
        fn,
        argument: 'input',
        expected: 'a batch of at least one row',
        received: [...x.shape],
      });
    if (state !== undefined) this.checkState(fn, state, B, batched);
    return { batched, T, B };
  }

  /** Checks a state against the layer and a batch of B: h (and c) [L*D, B, H], or [L*D, H] unbatched. */
  protected checkState(fn: string, state: RecurrentState, B: number, batched: boolean): void {
    const names = this.spec.hasCell ? (['h', 'c'] as const) : (['h'] as const);
    if (this.spec.hasCell && (!state || !state.h || !state.c)) {
      throw new InvalidArgumentError({
        fn,
        argument: 'state',
        expected: 'both h and c (an LSTM state)',
        received: state && Object.keys(state),
      });
    }
    if (!state || typeof state !== 'object' || !state.h) {
      throw new InvalidArgumentError({ fn, argument: 'state', expected: 'a state { h } (from beginState or forward)', received: state });
    }
    const [ld, , hs] = this.stateShape(B);
    const want = batched ? [ld, B, hs] : [ld, hs];
    for (const key of names) {
      const s = checkTensor<Tensor>(fn, `state.${key}`, state[key]);
      if (s.dtype !== 'float32')
        throw new DTypeError({
          fn,
          argument: `state.${key}`,
          expected: 'a float32 tensor',
          received: `a ${s.dtype} tensor`,
        });
      if (
        batched &&
        s.shape.length === 3 &&
        s.shape[0] === ld &&
        s.shape[2] === hs &&
        s.shape[1] !== B
      ) {
        throw new ShapeError({
          fn,
          argument: `state.${key} batch size`,
          expected: `${B} (the input's batch size)`,
          received: s.shape[1],
        });
      }
      if (s.shape.length !== want.length || s.shape.some((d, i) => d !== want[i])) {
        const why = `[numLayers * numDirections = ${ld}, ${batched ? `batch = ${B}, ` : ''}hiddenSize = ${hs}]`;
        throw new ShapeError({
          fn,
          argument: `state.${key}`,
          expected: `of shape ${why}`,
          received: [...s.shape],
        });
      }
    }
  }

  /** The layer-direction's tensors. */
  protected weights(layer: number, direction: number): CellWeights {
    const p = this.cells[layer]![direction]!;
    return {
      wIh: p.wIh.value,
      wHh: p.wHh.value,
      bIh: p.bIh?.value ?? null,
      bHh: p.bHh?.value ?? null,
    };
  }

  /**
   * Runs the whole sequence. x [T, B, I] ([B, T, I] when batchFirst, or [T, I] unbatched);
   * state: h (and c) [L*D, B, H], zeros when absent. Returns output [T, B, D*H] and the final state.
   */
  forwardState(x: Tensor, state?: RecurrentState): RNNForwardResult {
    const fn = `${this.name}.forward`;
    const { batched, B } = this.checkForwardArgs(fn, x, state);
    return this.runLayers(B, state, batched, () =>
      batched ? (this.batchFirst ? tf.transpose(x, [1, 0, 2]) : x) : tf.expandDims(x, 1),
    );
  }

  /**
   * `forwardState(oneHot(ids, inputSize))` for token ids: ids int32 [T, B] (time-major whatever
   * batchFirst says; the output follows batchFirst as usual). With the fused ops the first
   * layer's input projection is a row lookup of wIhᵀ and its weight gradient a scatter-add (the
   * same numbers as the one-hot matmul, without the one-hot tensor and its FLOPs).
   */
  forwardOneHot(ids: Tensor, state?: RecurrentState): RNNForwardResult {
    const fn = `${this.name}.forwardOneHot`;
    if (!ids || !Array.isArray(ids.shape) || ids.shape.length !== 2)
      throw new ShapeError({
        fn,
        argument: 'ids',
        expected: 'an int32 tensor of shape [T, B]',
        received: ids?.shape ? [...ids.shape] : ids,
      });
    checkTokenIds(fn, 'ids', ids, this.inputSize);
    const [T, B] = ids.shape as [number, number];
    if (T < 1 || B < 1)
      throw new ShapeError({
        fn,
        argument: 'ids',
        expected: 'a non-empty [T, B] tensor',
        received: [T, B],
      });
    if (state !== undefined) this.checkState(fn, state, B, true);
    return this.runLayers(B, state, true, () =>
      this.usesFusedOp ? ids : oneHot(ids, this.inputSize),
    );
  }

  /** The loop over layers and directions; `input()` gives layer 0's [T, B, I] (or int32 ids [T, B] for the fused ops). */
  private runLayers(
    B: number,
    state: RecurrentState | undefined,
    batched: boolean,
    input: () => Tensor,
  ): RNNForwardResult {
    const L = this.numLayers;
    const D = this.numDirections;
    const fused = this.usesFusedOp;
    const result = tf.tidy(() => {
      const x = input();
      let xs = x; // [T, B, I]
      const h0 = state
        ? batched
          ? state.h
          : tf.expandDims(state.h, 1)
        : tf.zeros(this.stateShape(B)); // [L*D, B, H]
      const c0 = this.spec.hasCell
        ? state?.c
          ? batched
            ? state.c
            : tf.expandDims(state.c, 1)
          : tf.zeros(this.stateShape(B))
        : null;
      const h0s = unstack0(h0); // L*D × [B, H]
      const c0s = c0 ? unstack0(c0) : null;
      const hn: Tensor[] = [];
      const cn: Tensor[] = [];
      for (let layer = 0; layer < L; layer++) {
        const outs: Tensor[] = [];
        for (let d = 0; d < D; d++) {
          const i = layer * D + d;
          const s0: CellState = c0s ? { h: h0s[i]!, c: c0s[i]! } : { h: h0s[i]! };
          const w = this.weights(layer, d);
          let r: { output: Tensor; state: CellState };
          if (fused) {
            r = runSequenceFused(this.spec, xs, s0, w, d === 1); // output [T, B, H], aligned with xs
          } else {
            // The reference runs the reverse direction on the flipped sequence and flips it back.
            r = runSequenceComposed(this.spec, d === 1 ? tf.reverse(xs, 0) : xs, s0, w);
            if (d === 1) r = { output: tf.reverse(r.output, 0), state: r.state };
          }
          outs.push(r.output); // [T, B, H]
          hn.push(r.state.h);
          if (r.state.c) cn.push(r.state.c);
        }
        xs = D === 2 ? tf.concat(outs, 2) : outs[0]!; // [T, B, D*H]
        if (layer < L - 1 && this.dropout > 0 && this.training)
          xs = dropoutOp(xs, this.dropout, this.random ?? getRandom());
      }
      let output = batched
        ? this.batchFirst
          ? tf.transpose(xs, [1, 0, 2])
          : xs
        : tf.squeeze(xs, [1]);
      let h = tf.stack(hn, 0); // [L*D, B, H]
      let c = cn.length ? tf.stack(cn, 0) : null;
      if (!batched) {
        h = tf.squeeze(h, [1]);
        c = c ? tf.squeeze(c, [1]) : null;
      }
      if (output === x) output = tf.clone(output);
      return c ? { output, h, c } : { output, h };
    });
    const s: RecurrentState = result.c ? { h: result.h, c: result.c } : { h: result.h };
    return { output: result.output, state: s };
  }

  /** One fused step (no gradient) of one layer. */
  private fusedStep(x: Tensor, s: CellState, packed: PackedStepWeights): CellState {
    if (this.mode === 'lstm') return lstmStep(x, s.h, s.c!, packed);
    return { h: this.mode === 'gru' ? gruStep(x, s.h, packed) : rnnStep(x, s.h, packed) };
  }

  /**
   * The layers' weights packed for @recurrent/core's fused generation steps, re-packed whenever a
   * parameter's data changed (an assign gives a variable a new data id).
   */
  private packedStepWeights(): PackedStepWeights[] {
    return this.packed.get(this.parameters());
  }

  private buildPacked(): PackedStepWeights[] {
    const kind = this.mode === 'lstm' ? 'lstm' : this.mode === 'gru' ? 'gru' : 'rnn';
    const nonlinearity = this.mode === 'rnn_relu' ? 'relu' : 'tanh';
    return this.cells.map((dirs) => {
      const p = dirs[0]!;
      return packStepWeights(
        kind,
        p.wIh.value,
        p.wHh.value,
        p.bIh?.value ?? null,
        p.bHh?.value ?? null,
        { nonlinearity },
      );
    });
  }

  override dispose(): void {
    this.packed.dispose();
    super.dispose();
  }

  /** Refuses to step a bidirectional layer (`fn` names the caller). */
  private checkSteppable(fn: string): void {
    if (this.bidirectional)
      throw new InvalidArgumentError({
        fn,
        argument: 'layer',
        expected: 'unidirectional (a bidirectional layer cannot step)',
        received: 'bidirectional',
      });
  }

  /** Checks a state for `stepArrays`/`stepState` on a batch of B (unidirectional layers only). */
  checkStepState(state: RecurrentState, batch: number): void {
    const fn = `${this.name}.step`;
    this.checkSteppable(fn);
    this.checkState(fn, state, batch, true);
  }

  /**
   * Generation's step on plain arrays (no tensors made, no gradient, dropout off as in eval
   * mode): every layer's fused step. Layer 0 takes `input`: x values [B, I], or token ids [B]
   * standing for one-hot vectors (the input projection is a row lookup). h (and c) [L, B, H] are
   * updated in place, and the top layer's new h [B, H] is returned as a view of `h`. The caller
   * checks the state's shape once (`checkStepState`).
   */
  stepArrays(
    input: StepValuesInput,
    h: Float32Array,
    c: Float32Array | null,
    batch: number,
  ): Float32Array {
    this.checkSteppable(`${this.name}.step`);
    const packed = this.packedStepWeights();
    const BH = batch * this.hiddenSize;
    let x = input;
    let top = h.subarray(0, BH);
    for (let layer = 0; layer < this.numLayers; layer++) {
      const at = layer * BH;
      const hl = h.subarray(at, at + BH);
      const cl = c ? c.subarray(at, at + BH) : null;
      packed[layer]!.stepValues(x, hl, cl, batch, { h: hl, c: cl });
      top = hl;
      x = { x: hl };
    }
    return top;
  }

  /**
   * One time step for every layer (unidirectional only): x [B, I] and state [L, B, H] ->
   * output [B, H] (the top layer's new h) and the new state. Used by generation. In eval mode it
   * runs @recurrent/core's fused steps, which have no gradient; in training mode the composed,
   * differentiable step.
   */
  stepState(x: Tensor, state?: RecurrentState): RNNForwardResult {
    const fn = `${this.name}.step`;
    this.checkSteppable(fn);
    checkFloatTensor(fn, 'input', x);
    if (x.shape.length !== 2)
      throw new ShapeError({
        fn,
        argument: 'input',
        expected: 'of shape [B, inputSize]',
        received: [...x.shape],
      });
    if (x.shape[1] !== this.inputSize)
      throw new ShapeError({
        fn,
        argument: 'input size',
        expected: String(this.inputSize),
        received: x.shape[1],
      });
    if (state !== undefined) this.checkState(fn, state, x.shape[0]!, true);
    const fast = !this.training;
    const packed = fast ? this.packedStepWeights() : null;
    const result = tf.tidy(() => {
      const s0 = state ?? this.zeroState(x.shape[0]!);
      const hs = unstack0(s0.h); // L × [B, H]
      const cs = s0.c ? unstack0(s0.c) : null;
      let input = x;
      const hn: Tensor[] = [];
      const cn: Tensor[] = [];
      for (let layer = 0; layer < this.numLayers; layer++) {
        const sl: CellState = cs ? { h: hs[layer]!, c: cs[layer]! } : { h: hs[layer]! };
        const s = packed
          ? this.fusedStep(input, sl, packed[layer]!)
          : this.spec.step(input, sl, this.weights(layer, 0));
        hn.push(s.h);
        if (s.c) cn.push(s.c);
        input = s.h;
        if (layer < this.numLayers - 1 && this.dropout > 0 && this.training)
          input = dropoutOp(input, this.dropout, this.random ?? getRandom());
      }
      const h = tf.stack(hn, 0); // [L, B, H]
      const output = tf.clone(input); // [B, H]
      return cn.length ? { output, h, c: tf.stack(cn, 0) } : { output, h };
    });
    const s: RecurrentState = result.c ? { h: result.h, c: result.c } : { h: result.h };
    return { output: result.output, state: s };
  }
}
