import { DTypeError, InvalidArgumentError, ShapeError, VocabError, checkNumber, checkOneOf, checkTensor, softmaxCrossEntropy, tf, type Tensor } from '@recurrent/core';

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  /** How per-target losses are combined (default `'mean'`, over the targets that count). */
  reduction?: Reduction;
  /** Targets equal to this contribute no loss and no gradient (default -100, as PyTorch). */
  ignoreIndex?: number;
  /** Optional weights of the targets' shape (1 = counts, 0 = ignored); `mean` divides by their sum. */
  mask?: Tensor;
  /** PyTorch's `label_smoothing` in [0, 1] (default 0). */
  labelSmoothing?: number;
  /**
   * Where the class axis is: `'last'` (default; `[N, C]`, `[B, T, V]`) or `1` (PyTorch's own
   * `(N, C, d1, ...)` layout).
   */
  classAxis?: 'last' | 1;
}

const FN = 'crossEntropy';

/**
 * Cross-entropy from unnormalised logits, as `torch.nn.functional.cross_entropy`, computed
 * through a stable log-sum-exp (core's `softmaxCrossEntropy`). Targets outside [0, C), other
 * than `ignoreIndex`, are an error. `targets` holds int32 class indices of the logits' shape without
 * the class axis. Returns a scalar for `mean`/`sum`, else a tensor of the targets' shape.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkTensor(FN, 'logits', logits);
  checkTensor(FN, 'targets', targets);
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError({ fn: FN, argument: 'options', expected: 'an object', received: options });
  if (options.mask !== undefined) checkTensor(FN, 'options.mask', options.mask);
  const reduction = checkOneOf(FN, 'options.reduction', options.reduction ?? 'mean', ['mean', 'sum', 'none'] as const);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) {
    throw new InvalidArgumentError({ fn: FN, argument: 'options.ignoreIndex', expected: 'an integer', received: ignoreIndex });
  }
  const smoothing = checkNumber(FN, 'options.labelSmoothing', options.labelSmoothing ?? 0, { min: 0, max: 1 });
  const classAxis = options.classAxis ?? 'last';
  if (classAxis !== 'last' && classAxis !== 1) {
    throw new InvalidArgumentError({ fn: FN, argument: 'options.classAxis', expected: "'last' or 1", received: classAxis });
  }
  if (logits.dtype !== 'float32') {
    throw new DTypeError({ fn: FN, argument: 'logits', expected: 'a float32 tensor', received: logits.dtype });
  }
  if (targets.dtype !== 'int32') {
    throw new DTypeError({ fn: FN, argument: 'targets', expected: 'an int32 tensor', received: targets.dtype });
  }
  if (logits.rank < 1 || (classAxis === 1 && logits.rank < 2)) {
    throw new ShapeError({ fn: FN, argument: 'logits', expected: 'a tensor with a class axis', received: logits.shape });
  }
  const axis = classAxis === 'last' ? logits.rank - 1 : 1;
  const numClasses = logits.shape[axis]!;
  const expected = logits.shape.filter((_, i) => i !== axis);
  if (targets.rank !== expected.length || targets.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError({ fn: FN, argument: 'targets', expected: `shape [${expected.join(', ')}] (the logits' without the class axis)`, received: targets.shape });
  }
  checkTargets(targets, numClasses, ignoreIndex);
  const mask = options.mask;
  if (mask && (mask.rank !== expected.length || mask.shape.some((d, i) => d !== expected[i]))) {
    throw new ShapeError({ fn: FN, argument: 'options.mask', expected: `shape [${expected.join(', ')}]`, received: mask.shape });
  }

  return tf.tidy(() => {
    // Move the class axis last: [M..., C].
    let z = logits;
    if (axis !== logits.rank - 1) {
      const perm = [...Array(logits.rank).keys()].filter((i) => i !== axis);
      perm.push(axis);
      z = tf.transpose(logits, perm);
    }
    const count = targets.size;
    const flatTargets = tf.reshape(targets, [count]); // [M]
    // Per target: 0 where ignored; the log-sum-exp in one op (our SIMD kernels on wasm).
    const perTarget = softmaxCrossEntropy(tf.reshape(z, [count, numClasses]), flatTargets, { ignoreIndex, labelSmoothing: smoothing }); // [M]
    const valid = tf.notEqual(flatTargets, tf.scalar(ignoreIndex, 'int32')); // [M]
    let weight = tf.cast(valid, 'float32'); // [M]
    if (mask) weight = tf.mul(weight, tf.cast(tf.reshape(mask, [count]), 'float32'));
    const weighted = tf.mul(perTarget, weight); // [M]
    if (reduction === 'none') return tf.reshape(weighted, expected);
    const total = tf.sum(weighted);
    if (reduction === 'sum') return total;
    return tf.div(total, tf.sum(weight));
  });
}

/** Every target is a class index in [0, C) or the ignored index: a `VocabError` naming the first that is not. */
function checkTargets(targets: Tensor, numClasses: number, ignoreIndex: number): void {
  const values = targets.dataSync() as Int32Array;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if ((v < 0 || v >= numClasses) && v !== ignoreIndex) {
      throw new VocabError({ fn: FN, argument: 'targets', expected: `class indices in [0, ${numClasses}) or ignoreIndex ${ignoreIndex}`, received: `${v} at index ${i}` });
    }
  }
}
