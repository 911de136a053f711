// Fused single recurrent steps for generation (no gradient): one matmul of [x, h] with the
// input and hidden weights stacked once by `packStepWeights`, and the gate math in plain JS.
import { tf, type Tensor } from '../backend/tf';
import { InvalidArgumentError, ShapeError } from '../errors';
import { checkOneOf, checkRank } from '../validate';
import type { LstmStepResult, RnnNonlinearity } from './cell-step';
import { biasValues, readF32, tensorOf, viewF32 } from './fused-kernel';
import { rowMatMul, type RowMatMul } from './row-matmul';

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
  /** The reusable product for a batch size (made on first use, freed by `dispose`). */
  product(batch: number): RowMatMul;
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
  const products = new Map<number, RowMatMul>();
  return {
    kind,
    inputSize: I,
    hiddenSize: H,
    nonlinearity,
    weight,
    bias,
    product(batch: number): RowMatMul {
      let p = products.get(batch);
      if (!p) products.set(batch, (p = rowMatMul(weight, batch)));
      return p;
    },
    dispose() {
      for (const p of products.values()) p.dispose();
      products.clear();
      weight.dispose();
    },
  };
}

function stepInputs(fn: string, kind: StepKind, x: Tensor, h: Tensor, packed: PackedStepWeights): { B: number; mm: RowMatMul } {
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
  const mm = packed.product(B);
  const K = I + H;
  const xh = mm.input(); // [B, I + H]
  const xv = viewF32(x);
  const hv = viewF32(h);
  for (let b = 0; b < B; b++) {
    xh.set(xv.subarray(b * I, (b + 1) * I), b * K);
    xh.set(hv.subarray(b * H, (b + 1) * H), b * K + I);
  }
  return { B, mm };
}

function addLstmBias(out: Float32Array, bias: Float64Array, B: number, H: number): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const o = b * G;
    for (let k = 0; k < G; k++) {
      const z = out[o + k]! + bias[k]!;
      out[o + k] = k >= 2 * H && k < 3 * H ? 2 * z : z; // σ(2z) gives tanh for the g gate
    }
  }
}

function addBias(out: Float32Array, bias: Float64Array, B: number, N: number, scale: number): void {
  for (let b = 0; b < B; b++) {
    const o = b * N;
    for (let k = 0; k < N; k++) out[o + k] = scale * (out[o + k]! + bias[k]!);
  }
}

/** One LSTM step without gradient, for generation: x [B, I], h and c [B, H] -> new { h, c }. */
export function lstmStep(x: Tensor, h: Tensor, c: Tensor, packed: PackedStepWeights): LstmStepResult {
  const H = packed.hiddenSize;
  if (c.shape.length !== 2 || c.shape[0] !== h.shape[0] || c.shape[1] !== H) {
    throw new ShapeError({ fn: 'lstmStep', argument: 'c', expected: `of the shape of h`, received: [...c.shape] });
  }
  const { B, mm } = stepInputs('lstmStep', 'lstm', x, h, packed);
  const bias = packed.bias;
  const sig = mm.run((out) => addLstmBias(out, bias, B, H), true); // [B, 4H]
  const cv = viewF32(c);
  const G = 4 * H;
  const hOut = new Float32Array(B * H);
  const cOut = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    const go = b * G;
    const so = b * H;
    for (let j = 0; j < H; j++) {
      const cn = sig[go + H + j]! * cv[so + j]! + sig[go + j]! * (2 * sig[go + 2 * H + j]! - 1);
      cOut[so + j] = cn;
      hOut[so + j] = sig[go + 3 * H + j]! * (2 / (1 + Math.exp(-2 * cn)) - 1);
    }
  }
  return { h: tensorOf(hOut, [B, H]), c: tensorOf(cOut, [B, H]) };
}

/** One GRU step without gradient, for generation: x [B, I], h [B, H] -> h' [B, H]. */
export function gruStep(x: Tensor, h: Tensor, packed: PackedStepWeights): Tensor {
  const { B, mm } = stepInputs('gruStep', 'gru', x, h, packed);
  const H = packed.hiddenSize;
  const N = 4 * H;
  const sig = mm.run((out) => addBias(out, packed.bias, B, N, 1), true); // [B, 4H]: σ(r), σ(z), unused, unused
  const pre = mm.product(); // [B, 4H]: …, W_in x + b_in, W_hn h + b_hn
  const hv = viewF32(h);
  const out = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    const go = b * N;
    const so = b * H;
    for (let j = 0; j < H; j++) {
      const r = sig[go + j]!;
      const z = sig[go + H + j]!;
      const n = 2 / (1 + Math.exp(-2 * (pre[go + 2 * H + j]! + r * pre[go + 3 * H + j]!))) - 1;
      out[so + j] = n + z * (hv[so + j]! - n);
    }
  }
  return tensorOf(out, [B, H]);
}

/** One plain RNN step without gradient, for generation: x [B, I], h [B, H] -> h' [B, H]. */
export function rnnStep(x: Tensor, h: Tensor, packed: PackedStepWeights): Tensor {
  const { B, mm } = stepInputs('rnnStep', 'rnn', x, h, packed);
  const H = packed.hiddenSize;
  const relu = packed.nonlinearity === 'relu';
  const v = mm.run((o) => addBias(o, packed.bias, B, H, relu ? 1 : 2), !relu); // tanh(z) = 2σ(2z) − 1
  const out = new Float32Array(B * H);
  for (let k = 0; k < B * H; k++) out[k] = relu ? (v[k]! > 0 ? v[k]! : 0) : 2 * v[k]! - 1;
  return tensorOf(out, [B, H]);
}
