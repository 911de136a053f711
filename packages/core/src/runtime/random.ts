import prand from 'pure-rand';
import { InvalidArgumentError } from '../errors';

/** The serialisable state of a `Random` (for checkpoints). */
export interface RandomState {
  algorithm: 'xoroshiro128plus';
  state: number[];
  /** A second normal deviate cached by Box-Muller, if any. */
  spareNormal: number | null;
}

const TWO_POW_32 = 4294967296;

/** splitmix32: a well-mixed 32-bit sequence from any seed, so nearby seeds give unrelated streams. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

/**
 * pure-rand's `xoroshiro128plus(seed)` puts the seed into the state almost raw, so its first
 * outputs are close to 1 for every small seed. Fill the 128-bit state through splitmix32 instead.
 */
function seededXoroshiro(seed: number): prand.RandomGenerator {
  const st = { s: (seed | 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) | 0, 0x27d4eb2d) };
  const words: number[] = [splitmix32(st), splitmix32(st), splitmix32(st), splitmix32(st)];
  if (!words.some((w) => w !== 0)) words[3] = 1; // the all-zero state is a fixed point
  return prand.xoroshiro128plus.fromState(words);
}

/**
 * A seeded random source (xoroshiro128+ from `pure-rand`). Every random choice in Recurrent
 * (parameter init, dropout masks, shuffling, sampling) draws from one of these, so a seed
 * reproduces a run on any backend: numbers are made in JavaScript, not by the backend.
 */
export class Random {
  private gen: prand.RandomGenerator;
  private spare: number | null = null;

  constructor(seed = 0) {
    if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
      throw new InvalidArgumentError({
        fn: 'Random',
        argument: 'seed',
        expected: 'an integer',
        received: seed,
      });
    }
    this.gen = seededXoroshiro(seed);
  }

  static fromState(state: RandomState): Random {
    const words = state?.state;
    const spare = state?.spareNormal;
    if (
      state?.algorithm !== 'xoroshiro128plus' ||
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every((w) => Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32) ||
      !(spare === null || (typeof spare === 'number' && Number.isFinite(spare)))
    ) {
      throw new InvalidArgumentError({
        fn: 'Random.fromState',
        argument: 'state',
        expected: 'a state from Random.getState()',
        received: state,
      });
    }
    const r = new Random(0);
    r.gen = prand.xoroshiro128plus.fromState(state.state);
    r.spare = state.spareNormal;
    return r;
  }

  getState(): RandomState {
    const g = this.gen as prand.RandomGenerator & { getState(): readonly number[] };
    return { algorithm: 'xoroshiro128plus', state: [...g.getState()], spareNormal: this.spare };
  }

  /** A uint32 drawn uniformly. */
  uint32(): number {
    return this.gen.unsafeNext() >>> 0;
  }

  /** A float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A float drawn uniformly from [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.float();
  }

  /** A normal deviate (Box-Muller, the second value cached). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [low, high], both ends inclusive (Python's `random.randint`). */
  randint(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high < low) {
      throw new InvalidArgumentError({
        fn: 'Random.randint',
        argument: 'high',
        expected: `an integer >= low (${low})`,
        received: high,
      });
    }
    return prand.unsafeUniformIntDistribution(low, high, this.gen);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError({
        fn: 'Random.int',
        argument: 'n',
        expected: 'a positive integer',
        received: n,
      });
    }
    return prand.unsafeUniformIntDistribution(0, n - 1, this.gen);
  }

  /** Shuffles in place (Fisher-Yates) and returns the array. */
  shuffle<T>(array: T[] | Int32Array | Float32Array): typeof array {
    if (!Array.isArray(array) && !(array instanceof Int32Array) && !(array instanceof Float32Array)) {
      throw new InvalidArgumentError({ fn: 'Random.shuffle', argument: 'array', expected: 'an array, Int32Array or Float32Array', received: array });
    }
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = array[i]!;
      array[i] = array[j]!;
      array[j] = t;
    }
    return array;
  }

  /** Float32 values drawn uniformly from [low, high). */
  uniformArray(size: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      // Redraw the rare value that float32 rounding would push onto `high`.
      let v = Math.fround(this.uniform(low, high));
      while (v >= high && high > low) v = Math.fround(this.uniform(low, high));
      out[i] = v;
    }
    return out;
  }

  /** Float32 normal deviates. */
  normalArray(size: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Draws an index with probability proportional to `weights` (non-negative, not all zero). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights?.length; i++) {
      const w = weights[i]!;
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new InvalidArgumentError({ fn: 'Random.categorical', argument: `weights[${i}]`, expected: 'a non-negative finite weight', received: w });
      }
      total += w;
    }
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new InvalidArgumentError({
        fn: 'Random.categorical',
        argument: 'weights',
        expected: 'non-negative finite weights with a positive sum',
        received: total,
      });
    }
    let u = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    // Rounding left u at 0: take the last index with positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    return weights.length - 1;
  }

  /** An independent stream derived from this one (for a worker, a layer, a sampler). */
  fork(): Random {
    return new Random(this.uint32() ^ (this.uint32() << 1));
  }
}

let global = new Random(0);

/** Seeds the global random source (as `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  global = new Random(seed);
}

/** The global random source, used when an API is not given one. */
export function getRandom(): Random {
  return global;
}
