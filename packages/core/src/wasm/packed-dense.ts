// A dense layer's weights prepared for generation's head on plain arrays: resident in our
// WebAssembly SIMD module where it is available, else wᵀ kept as a tensor for tfjs's matmul.
import { tf, type Tensor } from '../backend/tf';
import { ShapeError } from '../errors';
import { readF32 } from '../ops/fused-kernel';
import { rowMatMul, type RowMatMul } from '../ops/row-matmul';
import { checkRank } from '../validate';
import { onKernel } from './kernel-module';
import { KernelDense } from './kernel-step';

/** `y = x · Wᵀ + b` on plain arrays (no tensors in or out, no gradient); dispose it when done. */
export interface PackedDense {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Whether the product runs in Recurrent's own WebAssembly SIMD kernel (else through tfjs). */
  readonly usesWasmKernel: boolean;
  /** x [rows, in] -> [rows, out], written to `out` when given, else to a new array. */
  forwardValues(x: Float32Array, rows: number, out?: Float32Array): Float32Array;
  dispose(): void;
}

/** Packs a PyTorch-layout weight [out, in] and bias [out] (or null) for `forwardValues`. */
export function packDense(weight: Tensor, bias: Tensor | null): PackedDense {
  const fn = 'packDense';
  checkRank(fn, 'weight', weight, 2);
  const [outFeatures, inFeatures] = weight.shape as [number, number];
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outFeatures)) {
    throw new ShapeError({ fn, argument: 'bias', expected: `of shape [${outFeatures}]`, received: [...bias.shape] });
  }
  const b = bias ? readF32(bias) : null;
  let kernel = onKernel((module) => new KernelDense(module, inFeatures, outFeatures, readF32(weight), b));
  if (kernel) {
    return {
      inFeatures,
      outFeatures,
      usesWasmKernel: true,
      forwardValues(x, rows, out = new Float32Array(rows * outFeatures)) {
        kernel!.forward(x, rows, out);
        return out;
      },
      dispose() {
        kernel = null;
      },
    };
  }
  const weightT = tf.transpose(weight); // [in, out]
  const products = new Map<number, RowMatMul>();
  return {
    inFeatures,
    outFeatures,
    usesWasmKernel: false,
    forwardValues(x, rows, out = new Float32Array(rows * outFeatures)) {
      let mm = products.get(rows);
      if (!mm) products.set(rows, (mm = rowMatMul(weightT, rows)));
      mm.input().set(x.subarray(0, rows * inFeatures));
      const y = mm.run(); // [rows, out], valid until the next product
      for (let r = 0; r < rows; r++) for (let k = 0; k < outFeatures; k++) out[r * outFeatures + k] = y[r * outFeatures + k]! + (b ? b[k]! : 0);
      return out;
    },
    dispose() {
      for (const p of products.values()) p.dispose();
      products.clear();
      weightT.dispose();
    },
  };
}
