import { DTypeError, InvalidArgumentError, ShapeError } from './errors';

/** Throws unless `value` is an integer >= `min` (default 1). */
export function checkInt(fn: string, argument: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const expected =
      min === 1
        ? 'a positive integer'
        : min === 0
          ? 'a non-negative integer'
          : `an integer >= ${min}`;
    throw new InvalidArgumentError({ fn, argument, expected, received: value });
  }
  return value;
}

/** Throws unless `value` is a boolean. */
export function checkBool(fn: string, argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new InvalidArgumentError({ fn, argument, expected: 'a boolean', received: value });
  return value;
}

/** Throws unless `value` is a finite number in [min, max] (bounds open where said). */
export function checkNumber(
  fn: string,
  argument: string,
  value: unknown,
  range: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = {},
): number {
  const { min = -Infinity, max = Infinity, minExclusive = false, maxExclusive = false } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minExclusive ? value > min : value >= min) &&
    (maxExclusive ? value < max : value <= max);
  if (!ok) {
    const lo = min === -Infinity ? '' : `${minExclusive ? '>' : '>='} ${min}`;
    const hi = max === Infinity ? '' : `${maxExclusive ? '<' : '<='} ${max}`;
    const bounds = [lo, hi].filter(Boolean).join(' and ');
    throw new InvalidArgumentError({
      fn,
      argument,
      expected: `a finite number${bounds ? ` ${bounds}` : ''}`,
      received: value,
    });
  }
  return value;
}

/** Throws unless `value` is one of `choices`. */
export function checkOneOf<T extends string>(
  fn: string,
  argument: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (!choices.includes(value as T)) {
    throw new InvalidArgumentError({
      fn,
      argument,
      expected: `one of ${choices.map((c) => `'${c}'`).join(', ')}`,
      received: value,
    });
  }
  return value as T;
}

interface ShapedLike {
  shape: readonly number[];
  dtype?: string;
  /** tfjs tensors say whether their data is gone. */
  isDisposed?: boolean;
}

/**
 * Throws unless `tensor` is still alive: a disposed tensor is refused with an
 * `InvalidArgumentError` naming the argument (tfjs would only say `Tensor is disposed`).
 */
export function checkNotDisposed(fn: string, argument: string, tensor: unknown): void {
  if (tensor !== null && typeof tensor === 'object' && (tensor as ShapedLike).isDisposed === true) {
    throw new InvalidArgumentError({
      fn,
      argument,
      expected: 'a tensor that has not been disposed',
      received: `a disposed ${describeShaped(tensor as ShapedLike)}`,
    });
  }
}

/** A tensor-like (an object with a shape array) that has not been disposed. */
function checkShaped(fn: string, argument: string, tensor: unknown): void {
  if (tensor === null || typeof tensor !== 'object' || !Array.isArray((tensor as ShapedLike).shape)) {
    throw new InvalidArgumentError({ fn, argument, expected: 'a tensor', received: tensor });
  }
  checkNotDisposed(fn, argument, tensor);
}

function describeShaped(t: ShapedLike): string {
  return `${t.dtype ?? ''} tensor of shape [${t.shape.join(', ')}]`.trim();
}

/**
 * Throws unless `value` is a tensor (anything with a shape array and a dtype) that has not been
 * disposed; returns it.
 */
export function checkTensor<T extends ShapedLike>(fn: string, argument: string, value: T | unknown): T {
  if (
    value === null ||
    typeof value !== 'object' ||
    !Array.isArray((value as ShapedLike).shape) ||
    typeof (value as ShapedLike).dtype !== 'string'
  ) {
    throw new InvalidArgumentError({ fn, argument, expected: 'a tensor', received: value });
  }
  checkNotDisposed(fn, argument, value);
  return value as T;
}

/**
 * Checks a tensor's shape against a pattern: numbers must match, `null` matches anything.
 * `checkShape('LSTM.forward', 'input', x, [null, null, 5])`.
 */
export function checkShape(
  fn: string,
  argument: string,
  tensor: ShapedLike,
  pattern: readonly (number | null)[],
): void {
  checkShaped(fn, argument, tensor);
  const shape = tensor.shape;
  const ok =
    shape.length === pattern.length && pattern.every((p, i) => p === null || p === shape[i]);
  if (!ok) {
    const expected = `of shape [${pattern.map((p) => (p === null ? '*' : String(p))).join(', ')}]`;
    throw new ShapeError({ fn, argument, expected, received: [...shape] });
  }
}

/** Checks a tensor's rank (or one of several ranks). */
export function checkRank(
  fn: string,
  argument: string,
  tensor: ShapedLike,
  ranks: number | readonly number[],
): void {
  checkShaped(fn, argument, tensor);
  const allowed = typeof ranks === 'number' ? [ranks] : ranks;
  if (!allowed.includes(tensor.shape.length)) {
    throw new ShapeError({
      fn,
      argument,
      expected: `a tensor of rank ${allowed.join(' or ')}`,
      received: `rank ${tensor.shape.length} (shape [${tensor.shape.join(', ')}])`,
    });
  }
}

/** Checks a tensor's dtype. */
export function checkDType(
  fn: string,
  argument: string,
  tensor: ShapedLike,
  dtypes: string | readonly string[],
): void {
  checkShaped(fn, argument, tensor);
  const allowed = typeof dtypes === 'string' ? [dtypes] : dtypes;
  if (!allowed.includes(tensor.dtype ?? '')) {
    throw new DTypeError({
      fn,
      argument,
      expected: `a ${allowed.join(' or ')} tensor`,
      received: `a ${tensor.dtype} tensor`,
    });
  }
}

/**
 * Throws unless `value` is a tensor of dtype float32: an `InvalidArgumentError` for a non-tensor,
 * a `DTypeError` for another dtype. Returns it typed as a tensor.
 */
export function checkFloatTensor<T extends ShapedLike>(
  fn: string,
  argument: string,
  value: T | unknown,
): T {
  if (value === null || typeof value !== 'object' || !Array.isArray((value as ShapedLike).shape)) {
    throw new InvalidArgumentError({ fn, argument, expected: 'a float32 tensor', received: value });
  }
  checkNotDisposed(fn, argument, value);
  const t = value as T;
  if (t.dtype !== 'float32') {
    throw new DTypeError({
      fn,
      argument,
      expected: 'a float32 tensor',
      received: `a ${t.dtype} tensor`,
    });
  }
  return t;
}

/** Token ids as plain numbers: at least `count` of them, the first `count` integers in [0, size). */
export function checkTokenRange(
  fn: string,
  argument: string,
  ids: ArrayLike<number>,
  count: number,
  size: number,
): void {
  if (ids.length < count)
    throw new InvalidArgumentError({
      fn,
      argument,
      expected: `${count} token ids`,
      received: ids.length,
    });
  for (let b = 0; b < count; b++) {
    const id = ids[b]!;
    if (!Number.isInteger(id) || id < 0 || id >= size) {
      throw new InvalidArgumentError({
        fn,
        argument,
        expected: `integers in [0, ${size})`,
        received: id,
      });
    }
  }
}

/**
 * Token ids as given by a caller (a plain array or any typed array, checked alike): every value an
 * integer in [0, size) (size omitted: any non-negative int32). Returns them as an Int32Array (the
 * same array when it already is one). The first bad value is named with its index.
 */
export function checkIds(
  fn: string,
  argument: string,
  ids: unknown,
  size: number = 2 ** 31,
  ErrorClass: typeof InvalidArgumentError = InvalidArgumentError,
): Int32Array {
  const isArrayLike =
    Array.isArray(ids) ||
    (ArrayBuffer.isView(ids) && !(ids instanceof DataView) && typeof (ids as { length?: unknown }).length === 'number');
  if (!isArrayLike) {
    throw new InvalidArgumentError({ fn, argument, expected: 'an array or typed array of token ids', received: ids });
  }
  const values = ids as ArrayLike<number | bigint>;
  const out = ids instanceof Int32Array ? ids : new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= size) {
      throw new ErrorClass({
        fn,
        argument: `${argument}[${i}]`,
        expected: size === 2 ** 31 ? 'a non-negative integer token id' : `an integer token id in [0, ${size})`,
        received: v,
      });
    }
    if (out !== ids) out[i] = v;
  }
  return out;
}
