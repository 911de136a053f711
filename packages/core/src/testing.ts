import { tf, type Tensor } from './runtime/tf';
import { RecurrentError } from './errors';

export { assertNoLeak, assertNoLeakSync, memorySnapshot } from './runtime/scope';

/** A tensor as written in the PyTorch fixtures: shape and row-major data. */
export interface FixtureTensor {
  shape: number[];
  data: number[];
}

/** Makes a float32 (or int32 with `dtype`) tensor from a fixture tensor. */
export function fromFixture(t: FixtureTensor, dtype: 'float32' | 'int32' = 'float32'): Tensor {
  return tf.tensor(
    dtype === 'float32' ? Float32Array.from(t.data) : Int32Array.from(t.data),
    t.shape,
    dtype,
  );
}

export interface CloseOptions {
  atol?: number;
  rtol?: number;
  /** Named in the failure message, e.g. the parameter key. */
  name?: string;
}

/**
 * The PyTorch fixtures' tolerances (packages/fixtures/torch/README.md, "Tolerances"): an element
 * passes when |got − want| ≤ atol·M + rtol·|want|, M the largest |want| of its tensor. The
 * fixtures agree with a float64 recomputation to about 1e-6 of M, so atol is relative to M: a
 * tensor of values near 1e-9 (an optimizer's state) is held to the accuracy of one near 1, where a
 * fixed 1e-5 could not fail. Single ops (embedding, linear) are held tighter.
 */
export const FIXTURE_RTOL = 1e-4;
export const FIXTURE_ATOL = 1e-5;
export const FIXTURE_ATOL_SINGLE_OP = 1e-6;

/** `{ atol, rtol }` for comparing against `expected` at the fixtures' tolerance (atol scaled by its largest magnitude). */
export function fixtureTolerance(expected: ArrayLike<number>, atol = FIXTURE_ATOL): { atol: number; rtol: number } {
  let m = 0;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(expected[i]!));
  return { atol: atol * m, rtol: FIXTURE_RTOL };
}

/** `expectTensorsClose` at the fixtures' tolerance (`fixtureTolerance`). */
export function expectCloseToFixture(
  actual: Tensor | { shape: readonly number[]; data: ArrayLike<number> },
  expected: Tensor | FixtureTensor | { shape: readonly number[]; data: ArrayLike<number> },
  options: { name?: string; atol?: number } = {},
): void {
  const want = toPlain(expected);
  expectTensorsClose(actual, want, { ...fixtureTolerance(want.data, options.atol), name: options.name ?? 'tensor' });
}

/** Largest |a - b| over all elements (shapes must match). */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Index of the first element where |a - b| > atol + rtol·|b|, or -1. */
export function firstMismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
): number {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) return i;
  }
  return -1;
}

/** Throws (naming `options.name`) unless the tensors have the same shape and close values. */
export function expectTensorsClose(
  actual: Tensor | { shape: readonly number[]; data: ArrayLike<number> },
  expected: Tensor | FixtureTensor | { shape: readonly number[]; data: ArrayLike<number> },
  options: CloseOptions = {},
): void {
  const { atol = 1e-5, rtol = 1e-4, name = 'tensor' } = options;
  const a = toPlain(actual);
  const b = toPlain(expected);
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RecurrentError(
      'SHAPE',
      `${name}: shape [${a.shape.join(', ')}] differs from expected [${b.shape.join(', ')}]`,
    );
  }
  const i = firstMismatch(a.data, b.data, atol, rtol);
  if (i >= 0) {
    throw new RecurrentError(
      'INVALID_ARGUMENT',
      `${name}: element ${i} is ${a.data[i]}, expected ${b.data[i]} (max abs error ${maxAbsDiff(a.data, b.data).toExponential(3)}, atol ${atol}, rtol ${rtol})`,
    );
  }
}

function toPlain(
  t: Tensor | { shape: readonly number[]; data: ArrayLike<number> } | FixtureTensor,
): { shape: readonly number[]; data: ArrayLike<number> } {
  if (typeof (t as Tensor).dataSync === 'function') {
    const tt = t as Tensor;
    return { shape: tt.shape, data: tt.dataSync() as ArrayLike<number> };
  }
  return t as { shape: readonly number[]; data: ArrayLike<number> };
}
