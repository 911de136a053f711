import { checkInt, DTypeError, getRandom, ShapeError, tf, type Random, type Tensor, checkFloatTensor, checkBool } from '@recurrent/core';
import { parameterFrom } from '../init/make-parameter';
import { uniformTensor } from '../init/uniform';
import { Module } from '../module/module';
import type { Parameter } from '../module/parameter';
import { CELL_SPECS, type CellMode, type CellSpec, type CellState } from './cell-spec';

export interface CellOptions {
  /** Adds `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** Source of the U(-1/√H, 1/√H) initial values (default: the global `getRandom()`). */
  random?: Random;
}

/**
 * What `RNNCell`, `LSTMCell` and `GRUCell` share: parameters `weight_ih` [G*H, I], `weight_hh`
 * [G*H, H], `bias_ih`, `bias_hh` [G*H], validation, and one step of the same step function the
 * layers use.
 */
export abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly weightIh: Parameter;
  readonly weightHh: Parameter;
  readonly biasIh: Parameter | null;
  readonly biasHh: Parameter | null;
  protected readonly spec: CellSpec;
  protected readonly name: string;

  protected constructor(
    name: string,
    mode: CellMode,
    inputSize: number,
    hiddenSize: number,
    options: CellOptions = {},
  ) {
    super();
    this.name = name;
    checkInt(name, 'inputSize', inputSize);
    checkInt(name, 'hiddenSize', hiddenSize);
    const bias = checkBool(name, 'options.bias', options.bias ?? true);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = bias;
    this.spec = CELL_SPECS[mode];
    const random = options.random ?? getRandom();
    const bound = 1 / Math.sqrt(hiddenSize);
    const g = this.spec.gates * hiddenSize;
    const make = (pname: string, shape: number[]): Parameter => {
      const p = parameterFrom(uniformTensor(shape, bound, random));
      this.registerParameter(pname, p);
      return p;
    };
    this.weightIh = make('weight_ih', [g, inputSize]);
    this.weightHh = make('weight_hh', [g, hiddenSize]);
    this.biasIh = bias ? make('bias_ih', [g]) : null;
    this.biasHh = bias ? make('bias_hh', [g]) : null;
    if (!bias) {
      this.registerParameter('bias_ih', null);
      this.registerParameter('bias_hh', null);
    }
  }

  /** Checks x [B, I] (or [I]) and the state tensors [B, H] (or [H]); returns whether x is batched. */
  protected checkArgs(x: Tensor, state: Partial<CellState> | undefined): boolean {
    const fn = `${this.name}.forward`;
    checkFloatTensor(fn, 'input', x);
    if (x.shape.length !== 1 && x.shape.length !== 2) {
      throw new ShapeError({
        fn,
        argument: 'input',
        expected: 'of rank 2 ([B, inputSize]) or 1 ([inputSize])',
        received: [...x.shape],
      });
    }
    const features = x.shape[x.shape.length - 1]!;
    if (features !== this.inputSize)
      throw new ShapeError({
        fn,
        argument: 'input size',
        expected: String(this.inputSize),
        received: features,
      });
    const batched = x.shape.length === 2;
    const want = batched ? [x.shape[0]!, this.hiddenSize] : [this.hiddenSize];
    for (const key of ['h', 'c'] as const) {
      const s = state?.[key];
      if (!s) continue;
      if (s.dtype !== 'float32')
        throw new DTypeError({
          fn,
          argument: key,
          expected: 'a float32 tensor',
          received: `a ${s.dtype} tensor`,
        });
      if (
        batched &&
        s.shape.length === 2 &&
        s.shape[1] === this.hiddenSize &&
        s.shape[0] !== want[0]
      ) {
        throw new ShapeError({
          fn,
          argument: `${key} batch size`,
          expected: `${want[0]} (the input's batch size)`,
          received: s.shape[0],
        });
      }
      if (s.shape.length !== want.length || s.shape.some((d, i) => d !== want[i])) {
        throw new ShapeError({
          fn,
          argument: key,
          expected: `of shape [${want.join(', ')}]`,
          received: [...s.shape],
        });
      }
    }
    return batched;
  }

  /** One step with zeros for missing state tensors; x [B, I] -> state [B, H] each. */
  protected stepFrom(x: Tensor, state: Partial<CellState> | undefined): CellState {
    const batched = this.checkArgs(x, state);
    return tf.tidy(() => {
      const x2 = batched ? x : tf.expandDims(x, 0); // [B, I]
      const zeros = () => tf.zeros([x2.shape[0]!, this.hiddenSize]);
      const lift = (t: Tensor | undefined) => (t ? (batched ? t : tf.expandDims(t, 0)) : zeros()); // [B, H]
      const s0: CellState = this.spec.hasCell
        ? { h: lift(state?.h), c: lift(state?.c) }
        : { h: lift(state?.h) };
      const w = {
        wIh: this.weightIh.value,
        wHh: this.weightHh.value,
        bIh: this.biasIh?.value ?? null,
        bHh: this.biasHh?.value ?? null,
      };
      const s = this.spec.step(x2, s0, w);
      const drop = (t: Tensor) => (batched ? t : tf.squeeze(t, [0]));
      return (s.c ? { h: drop(s.h), c: drop(s.c) } : { h: drop(s.h) }) as { h: Tensor; c?: Tensor };
    });
  }
}
