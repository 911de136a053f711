// A dense layer's weights prepared for generation's head on plain arrays: resident in our module
// (module/resident.ts, its GEMM) on the module's route, else x·Wᵀ + b composed of tfjs ops.
import { tf, type Tensor } from '../runtime/tf';
import { ShapeError } from '../errors';
import { checkRank } from '../validate';
import { ResidentDense } from '../module/resident';
import { moduleRoute } from '../module/route';
import type { Route } from './packed-step';

/** `y = x · Wᵀ + b` on plain arrays (no tensors in or out, no gradient); dispose it when done. */
export interface PackedDense {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Where its products run, decided when it was packed. */
  readonly route: Route;
  /** x [rows, in] -> [rows, out], written to `out` when given, else to a new array. */
  forwardValues(x: Float32Array, rows: number, out?: Float32Array): Float32Array;
  dispose(): void;
}

/** The resident layer, or null where the module's route is off or its memory cannot grow. */
function resident(
  inFeatures: number,
  outFeatures: number,
  weight: Tensor,
  bias: Tensor | null,
): ResidentDense | null {
  const mem = moduleRoute();
  if (!mem) return null;
  try {
    return new ResidentDense(
      mem,
      inFeatures,
      outFeatures,
      weight.dataSync() as Float32Array,
      bias ? (bias.dataSync() as Float32Array) : null,
    );
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** Packs a PyTorch-layout weight [out, in] and bias [out] (or null) for `forwardValues`. */
export function packDense(weight: Tensor, bias: Tensor | null): PackedDense {
  const fn = 'packDense';
  checkRank(fn, 'weight', weight, 2);
  const [outFeatures, inFeatures] = weight.shape as [number, number];
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outFeatures)) {
    throw new ShapeError({
      fn,
      argument: 'bias',
      expected: `of shape [${outFeatures}]`,
      received: [...bias.shape],
    });
  }
  const layer = resident(inFeatures, outFeatures, weight, bias);
  if (layer) {
    return {
      inFeatures,
      outFeatures,
      route: 'module',
      forwardValues(x, rows, out = new Float32Array(rows * outFeatures)) {
        layer.forward(x, rows, out);
        return out;
      },
      dispose: () => layer.dispose(),
    };
  }
  // The composed route, from a snapshot of the weights.
  const w = tf.keep(tf.clone(weight));
  const b = bias ? tf.keep(tf.clone(bias)) : null;
  return {
    inFeatures,
    outFeatures,
    route: 'composed',
    forwardValues(x, rows, out = new Float32Array(rows * outFeatures)) {
      const y = tf.tidy(() => {
        const p = tf.matMul(
          tf.tensor(x.subarray(0, rows * inFeatures), [rows, inFeatures], 'float32'),
          w,
          false,
          true,
        ); // [rows, out]
        return (b ? tf.add(p, b) : p).dataSync() as Float32Array;
      });
      out.set(y);
      return out;
    },
    dispose: () => tf.dispose(b ? [w, b] : [w]),
  };
}
