// Fused single recurrent steps for generation (no gradient): one matmul of [x, h] with the
// input and hidden weights stacked once by `packStepWeights`, and the gate math in plain JS.
import { tf, type Tensor } from '../backend/tf';
import { InvalidArgumentError, ShapeError } from '../errors';
import { checkOneOf, checkRank } from '../validate';
import type { LstmStepResult, RnnNonlinearity } from './cell-step';
import { biasValues, matMulValues, readF32, tensorOf } from './fused-kernel';

export type StepKind = 'lstm' | 'gru' | 'rnn';

/**
 * Weights of one recurrent layer prepared for the fused steps; the caller keeps it across steps
 * and disposes it (or re-packs after the weights change).
 */
export interface PackedStepWeights {
  readonly kind: StepKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly nonlinearity: RnnNonlinearity;
  /** [I + H, N]: wIhᵀ stacked over wHhᵀ (GRU: the n gate's two halves in separate columns). */
  readonly weight: Tensor;
  /** [N] summed biases (GRU: r, z summed; then b_in; then b_hn). */
  readonly bias: Float64Array;
  dispose(): void;
}

const gatesOf: Record<StepKind, number> = { lstm: 4, gru: 3, rnn: 1 };

/** Packs PyTorch-layout weights (wIh [G*H, I], wHh [G*H, H], biases [G*H] or null) for `lstmStep`/`gruStep`/`rnnStep`. */
export function packStepWeights(
  kind: StepKind,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: { nonlinearity?: RnnNonlinearity } = {},
): PackedStepWeights {
  const fn = 'packStepWeights';
  checkOneOf(fn, 'kind', kind, ['lstm', 'gru', 'rnn'] as const);
  const nonlinearity = checkOneOf(fn, 'options.nonlinearity', options.nonlinearity ?? 'tanh', ['tanh', 'relu'] as const);
  checkRank(fn, 'wIh', wIh, 2);
  checkRank(fn, 'wHh', wHh, 2);
  const G = gatesOf[kind];
  const H = wHh.shape[1]!;
  const I = wIh.shape[1]!;
  if (wHh.shape[0] !== G * H) throw new ShapeError({ fn, argument: 'wHh', expected: `of shape [${G}*H, H]`, received: [...wHh.shape] });
  if (wIh.shape[0] !== G * H) throw new ShapeError({ fn, argument: 'wIh', expected: `of shape [${G * H}, I]`, received: [...wIh.shape] });
  for (const [name, b] of [['bIh', bIh], ['bHh', bHh]] as const) {
    if (b && (b.shape.length !== 1 || b.shape[0] !== G * H)) {
      throw new ShapeError({ fn, argument: name, expected: `null or of shape [${G * H}]`, received: [...b.shape] });
    }
  }
  const wi = readF32(wIh);
  const wh = readF32(wHh);
  const bi = biasValues(bIh, G * H);
  const bh = biasValues(bHh, G * H);
  const N = kind === 'gru' ? 4 * H : G * H;
  const w = new Float32Array((I + H) * N); // zero where a GRU n half does not apply
  let bias: Float64Array;
  if (kind === 'gru') {
    bias = new Float64Array(N);
    for (let r = 0; r < 3 * H; r++) {
      // Input side keeps the columns r, z, n (n at 2H..3H); the hidden n half moves to 3H..4H.
      const hcol = r < 2 * H ? r : r + H;
      for (let k = 0; k < I; k++) w[k * N + r] = wi[r * I + k]!;
      for (let k = 0; k < H; k++) w[(I + k) * N + hcol] = wh[r * H + k]!;
      if (r < 2 * H) bias[r] = bi[r]! + bh[r]!;
      else {
        bias[r] = bi[r]!;
        bias[r + H] = bh[r]!;
      }
    }
  } else {
    bias = new Float64Array(N);
    for (let r = 0; r < N; r++) {
      for (let k = 0; k < I; k++) w[k * N + r] = wi[r * I + k]!;
      for (let k = 0; k < H; k++) w[(I + k) * N + r] = wh[r * H + k]!;
      bias[r] = bi[r]! + bh[r]!;
    }
  }
  const weight = tf.tensor(w, [I + H, N], 'float32');
  return { kind, inputSize: I, hiddenSize: H, nonlinearity, weight, bias, dispose: () => weight.dispose() };
}

function stepInputs(fn: string, kind: StepKind, x: Tensor, h: Tensor, packed: PackedStepWeights): { B: number; hv: Float32Array; pre: Float32Array } {
  if (packed.kind !== kind) {
    throw new InvalidArgumentError({ fn, argument: 'packed', expected: `weights packed for '${kind}'`, received: `weights packed for '${packed.kind}'` });
  }
  const I = packed.inputSize;
  const H = packed.hiddenSize;
  checkRank(fn, 'x', x, 2);
  const B = x.shape[0]!;
  if (x.shape[1] !== I) throw new ShapeError({ fn, argument: 'x', expected: `of shape [B, ${I}]`, received: [...x.shape] });
  if (h.shape.length !== 2 || h.shape[0] !== B || h.shape[1] !== H) {
    throw new ShapeError({ fn, argument: 'h', expected: `of shape [${B}, ${H}]`, received: [...h.shape] });
  }
  const xv = readF32(x);
  const hv = readF32(h);
  const K = I + H;
  const xh = new Float32Array(B * K); // [B, I + H]
  for (let b = 0; b < B; b++) {
    xh.set(xv.subarray(b * I, (b + 1) * I), b * K);
    xh.set(hv.subarray(b * H, (b + 1) * H), b * K + I);
  }
  return { B, hv, pre: matMulValues(xh, B, K, packed.weight) };
}

/** One LSTM step without gradient, for generation: x [B, I], h and c [B, H] -> new { h, c }. */
export function lstmStep(x: Tensor, h: Tensor, c: Tensor, packed: PackedStepWeights): LstmStepResult {
  const H = packed.hiddenSize;
  if (c.shape.length !== 2 || c.shape[0] !== h.shape[0] || c.shape[1] !== H) {
    throw new ShapeError({ fn: 'lstmStep', argument: 'c', expected: `of the shape of h`, received: [...c.shape] });
  }
  const { B, pre } = stepInputs('lstmStep', 'lstm', x, h, packed);
  const cv = readF32(c);
  const bias = packed.bias;
  const G = 4 * H;
  const hOut = new Float32Array(B * H);
  const cOut = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    const go = b * G;
    const so = b * H;
    for (let j = 0; j < H; j++) {
      const i = 1 / (1 + Math.exp(-(pre[go + j]! + bias[j]!)));
      const f = 1 / (1 + Math.exp(-(pre[go + H + j]! + bias[H + j]!)));
      const g = 2 / (1 + Math.exp(-2 * (pre[go + 2 * H + j]! + bias[2 * H + j]!))) - 1;
      const o = 1 / (1 + Math.exp(-(pre[go + 3 * H + j]! + bias[3 * H + j]!)));
      const cn = f * cv[so + j]! + i * g;
      cOut[so + j] = cn;
      hOut[so + j] = o * (2 / (1 + Math.exp(-2 * cn)) - 1);
    }
  }
  return { h: tensorOf(hOut, [B, H]), c: tensorOf(cOut, [B, H]) };
}

/** One GRU step without gradient, for generation: x [B, I], h [B, H] -> h' [B, H]. */
export function gruStep(x: Tensor, h: Tensor, packed: PackedStepWeights): Tensor {
  const { B, hv, pre } = stepInputs('gruStep', 'gru', x, h, packed);
  const H = packed.hiddenSize;
  const bias = packed.bias;
  const N = 4 * H;
  const out = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    const go = b * N;
    const so = b * H;
    for (let j = 0; j < H; j++) {
      const r = 1 / (1 + Math.exp(-(pre[go + j]! + bias[j]!)));
      const z = 1 / (1 + Math.exp(-(pre[go + H + j]! + bias[H + j]!)));
      const hn = pre[go + 3 * H + j]! + bias[3 * H + j]!;
      const n = 2 / (1 + Math.exp(-2 * (pre[go + 2 * H + j]! + bias[2 * H + j]! + r * hn))) - 1;
      out[so + j] = n + z * (hv[so + j]! - n);
    }
  }
  return tensorOf(out, [B, H]);
}

/** One plain RNN step without gradient, for generation: x [B, I], h [B, H] -> h' [B, H]. */
export function rnnStep(x: Tensor, h: Tensor, packed: PackedStepWeights): Tensor {
  const { B, pre } = stepInputs('rnnStep', 'rnn', x, h, packed);
  const H = packed.hiddenSize;
  const bias = packed.bias;
  const relu = packed.nonlinearity === 'relu';
  const out = new Float32Array(B * H);
  for (let k = 0; k < B * H; k++) {
    const z = pre[k]! + bias[k % H]!;
    out[k] = relu ? (z > 0 ? z : 0) : 2 / (1 + Math.exp(-2 * z)) - 1;
  }
  return tensorOf(out, [B, H]);
}
