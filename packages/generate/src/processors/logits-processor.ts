import { InvalidArgumentError, checkInt, checkNumber } from '@recurrent/core';

/**
 * A step of decoding that rewrites the next-token logits, given the ids so far (prefix and
 * generated). It may modify `logits` in place and return it, or return a new array. Tokens it
 * rules out get `-Infinity`.
 */
export type LogitsProcessor = (ids: readonly number[], logits: Float32Array) => Float32Array;

/** Runs the processors in order. */
export function applyLogitsProcessors(processors: readonly LogitsProcessor[], ids: readonly number[], logits: Float32Array): Float32Array {
  const fn = 'applyLogitsProcessors';
  if (!Array.isArray(processors) || !processors.every((p) => typeof p === 'function')) {
    throw new InvalidArgumentError({ fn, argument: 'processors', expected: 'an array of functions (ids, logits) => logits', received: processors });
  }
  if (!(logits instanceof Float32Array)) throw new InvalidArgumentError({ fn, argument: 'logits', expected: 'a Float32Array', received: logits });
  let out = logits;
  for (const p of processors) out = p(ids, out);
  return out;
}

/** Divides the logits by `t` (> 0): below 1 sharpens, above 1 flattens. */
export function temperatureProcessor(t: number): LogitsProcessor {
  checkNumber('temperatureProcessor', 'temperature', t, { min: 0, minExclusive: true });
  return (_ids, logits) => {
    if (t === 1) return logits;
    for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! / t;
    return logits;
  };
}

/** Indices sorted by descending logit; ties keep the lower index first. */
export function sortedIndices(logits: Float32Array): number[] {
  const idx = Array.from({ length: logits.length }, (_, i) => i);
  return idx.sort((a, b) => logits[b]! - logits[a]! || a - b);
}

/** Keeps the `k` largest logits (exactly k; ties broken by lower id), the rest become -Infinity. */
export function topKProcessor(k: number): LogitsProcessor {
  checkInt('topKProcessor', 'topK', k, 1);
  return (_ids, logits) => {
    if (k >= logits.length) return logits;
    const order = sortedIndices(logits);
    for (let r = k; r < order.length; r++) logits[order[r]!] = -Infinity;
    return logits;
  };
}

/**
 * Nucleus filtering: keeps the smallest set of most likely tokens whose probability reaches
 * `p` (0 < p <= 1), at least one token; the rest become -Infinity.
 */
export function topPProcessor(p: number): LogitsProcessor {
  checkNumber('topPProcessor', 'topP', p, { min: 0, max: 1, minExclusive: true });
  return (_ids, logits) => {
    if (p >= 1) return logits;
    const probs = softmax64(logits);
    const order = sortedIndices(logits);
    let cum = 0;
    let keep = 0;
    while (keep < order.length) {
      cum += probs[order[keep]!]!;
      keep++;
      if (cum >= p) break;
    }
    for (let r = keep; r < order.length; r++) logits[order[r]!] = -Infinity;
    return logits;
  };
}

/**
 * CTRL's repetition penalty: for each id already in the sequence, a positive logit is divided by
 * `penalty` and a negative one multiplied by it (penalty > 1 discourages repeats).
 */
export function repetitionPenaltyProcessor(penalty: number): LogitsProcessor {
  checkNumber('repetitionPenaltyProcessor', 'repetitionPenalty', penalty, { min: 0, minExclusive: true });
  return (ids, logits) => {
    if (penalty === 1) return logits;
    for (const id of new Set(ids)) {
      const v = logits[id];
      if (v === undefined) continue;
      logits[id] = v > 0 ? v / penalty : v * penalty;
    }
    return logits;
  };
}

/** Softmax in double precision (masked -Infinity entries get 0). */
export function softmax64(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}

/** Log-softmax in double precision. */
export function logSoftmax64(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i]! - lse;
  return out;
}

/** Index of the largest value (the lowest index among ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
