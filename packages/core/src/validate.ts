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
