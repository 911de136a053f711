import {
  checkDType,
  checkInt,
  getRandom,
  InvalidArgumentError,
  linear,
  packDense,
  ShapeError,
  tf,
  type PackedDense,
  type Random,
  type Tensor,
} from '@recurrent/core';
import { parameterFrom } from '../init/make-parameter';
import { uniformTensor } from '../init/uniform';
import { Module } from '../module/module';
import type { Parameter } from '../module/parameter';
import { DerivedCache } from '../rnn/derived-cache';

function isTapeOn(): boolean {
  return (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
}

export interface LinearOptions {
  /** Adds a learned bias (default true). */
  bias?: boolean;
  /** Source of the initial values (default: the global `getRandom()`). */
  random?: Random;
}

/**
 * `y = x Wᵀ + b` over the last dimension, as `torch.nn.Linear`: `weight` [out, in], `bias` [out],
 * both initialised from U(-1/√in, 1/√in).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  /**
   * wᵀ for eval mode, rebuilt when a parameter changes: transposing per call gives the product a
   * new right-hand side to repack on every call (every generated token): our GEMM and XNNPACK
   * both keep what they packed by tensor id.
   */
  private readonly weightT = new DerivedCache<Tensor>(
    () => tf.keep(tf.transpose(this.weight.value)), // [in, out]
    (t) => t.dispose(),
  );
  /** The weights packed for `forwardValues` (kept in core's WebAssembly module where it runs). */
  private readonly packed = new DerivedCache<PackedDense>(
    () => packDense(this.weight.value, this.bias?.value ?? null),
    (p) => p.dispose(),
  );

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkInt('Linear', 'inFeatures', inFeatures);
    checkInt('Linear', 'outFeatures', outFeatures);
    const bias = options.bias ?? true;
    if (typeof bias !== 'boolean')
      throw new InvalidArgumentError({
        fn: 'Linear',
        argument: 'options.bias',
        expected: 'a boolean',
        received: bias,
      });
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const random = options.random ?? getRandom();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = parameterFrom(uniformTensor([outFeatures, inFeatures], bound, random));
    this.registerParameter('weight', this.weight);
    this.bias = bias ? parameterFrom(uniformTensor([outFeatures], bound, random)) : null;
    this.registerParameter('bias', this.bias);
  }

  /** x [..., in] -> [..., out]. */
  forward(x: Tensor): Tensor {
    const fn = 'Linear.forward';
    checkDType(fn, 'x', x, 'float32');
    const rank = x.shape.length;
    if (rank < 1)
      throw new ShapeError({
        fn,
        argument: 'x',
        expected: 'a tensor of rank >= 1',
        received: [...x.shape],
      });
    const last = x.shape[rank - 1]!;
    if (last !== this.inFeatures) {
      throw new ShapeError({
        fn,
        argument: 'x size',
        expected: `${this.inFeatures} in the last dimension (inFeatures)`,
        received: last,
      });
    }
    // Eval mode without a gradient tape uses the cached wᵀ (same numbers, no per-call repack).
    const cached = !this.training && !isTapeOn() ? this.weightT.get(this.parameters()) : null;
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = tf.reshape(x, [-1, this.inFeatures]); // [N, in]
      // Eval without a tape: the cached wᵀ. Otherwise core's linear op, whose gradient keeps
      // the weight in its [out, in] layout (no transposed products).
      let y: Tensor;
      if (cached) {
        y = tf.matMul(x2, cached); // [N, out]
        if (this.bias) y = tf.add(y, this.bias.value);
      } else y = linear(x2, this.weight.value, this.bias?.value ?? null); // [N, out]
      return tf.reshape(y, [...lead, this.outFeatures]); // [..., out]
    });
  }

  /**
   * Generation's head on plain arrays (no tensors made, no gradient): x [rows, in] values ->
   * [rows, out] values (into `out` when given), through weights packed once per parameter
   * change (core's WebAssembly SIMD kernel where available).
   */
  forwardValues(x: Float32Array, rows: number, out?: Float32Array): Float32Array {
    return this.packed.get(this.parameters()).forwardValues(x, rows, out); // [rows, out]
  }

  override dispose(): void {
    this.weightT.dispose();
    this.packed.dispose();
    super.dispose();
  }
}
