// Fused single recurrent steps for generation (no gradient): one matmul of [x, h] with the
// input and hidden weights stacked once by `packStepWeights`, and the gate math in plain JS.
import { tf, type Tensor } from '../backend/tf';
import { InvalidArgumentError, ShapeError } from '../errors';
import { checkOneOf, checkRank, checkTokenRange } from '../validate';
import { checkBias, type LstmStepResult, type RnnNonlinearity } from './cell-step';
import { biasValues, readF32, tensorOf } from './fused-kernel';
import { rowMatMul, type RowMatMul } from './row-matmul';
import { onKernel } from '../wasm/kernel-module';
import { KernelStepWeights } from '../wasm/kernel-step';

export type StepKind = 'lstm' | 'gru' | 'rnn';

/** The input of `PackedStepWeights.stepValues`: vectors x [B, I], or token ids [B] standing for one-hot vectors. */
export type StepValuesInput = { x: Float32Array } | { ids: ArrayLike<number> };

/** New states of `stepValues`: h (and c for LSTM) [B, H] as plain arrays. */
export interface StepValuesResult {
  h: Float32Array;
  c: Float32Array | null;
}

/** Where `stepValues` may write the new states instead of allocating (they may be the input arrays). */
export type StepValuesOutput = StepValuesResult;

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
  /** Whether `stepValues` runs in Recurrent's own WebAssembly SIMD kernel (else through tfjs). */
  readonly usesWasmKernel: boolean;
  /** The reusable product for a batch size (made on first use, freed by `dispose`). */
  product(batch: number): RowMatMul;
  /**
   * One step on plain arrays, without tensors in or out (generation's fast path). `input` is
   * x [B, I] or, for a one-hot input, token ids [B] (integers in [0, I)): the input projection
   * is then row `id` of wIhᵀ (a lookup). h, c [B, H] (c for LSTM only, else null). The new
   * states go to `out` when given (its arrays may be h and c themselves), else to new arrays.
   */
  stepValues(input: StepValuesInput, h: Float32Array, c: Float32Array | null, batch: number, out?: StepValuesOutput): StepValuesResult;
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
  checkBias(fn, 'bIh', bIh, G * H);
  checkBias(fn, 'bHh', bHh, G * H);
  const wi = readF32(wIh);
  const wh = readF32(wHh);
  const bi = biasValues(bIh, G * H);
  const bh = biasValues(bHh, G * H);
  const N = kind === 'gru' ? 4 * H : G * H;
  const w = new Float32Array((I + H) * N); // zero where a GRU n half does not apply
  const bias = new Float64Array(N);
  for (let r = 0; r < G * H; r++) {
    // GRU: the input side keeps the columns r, z, n (n at 2H..3H); the hidden n half moves to 3H..4H.
    const split = kind === 'gru' && r >= 2 * H;
    const hcol = split ? r + H : r;
    for (let k = 0; k < I; k++) w[k * N + r] = wi[r * I + k]!;
    for (let k = 0; k < H; k++) w[(I + k) * N + hcol] = wh[r * H + k]!;
    if (split) {
      bias[r] = bi[r]!;
      bias[hcol] = bh[r]!;
    } else bias[r] = bi[r]! + bh[r]!;
  }
  const weight = tf.tensor(w, [I + H, N], 'float32');
  // The input rows (wIhᵀ, [I, N]) for lookups, and the hidden rows as their own weight [H, N],
  // made on the first id step (the x steps use the stacked weight).
  const inputRows = w.subarray(0, I * N);
  let hiddenWeight: Tensor | null = null;
  const products = new Map<number, RowMatMul>();
  const hiddenProducts = new Map<number, RowMatMul>();
  const spec: StepSpec = { kind, I, H, N, bias, relu: nonlinearity === 'relu' };
  let kernel = onKernel((module) => new KernelStepWeights(module, kind, I, H, nonlinearity === 'relu', wi, wh, bIh ? readF32(bIh) : null, bHh ? readF32(bHh) : null));
  /** The tfjs path (no kernel): fresh arrays from the gate math, copied to `out` when given. */
  const tfjsStep = (input: StepValuesInput, h: Float32Array, c: Float32Array | null, batch: number): StepValuesResult => {
    if ('ids' in input) {
      let p = hiddenProducts.get(batch);
      if (!p) {
        hiddenWeight ??= tf.tensor(w.slice(I * N), [H, N], 'float32');
        hiddenProducts.set(batch, (p = rowMatMul(hiddenWeight, batch)));
      }
      p.input().set(h.subarray(0, batch * H));
      return gateStep(spec, p, h, c, batch, input.ids, inputRows);
    }
    const p = packed.product(batch);
    const K = I + H;
    const xh = p.input(); // [B, I + H]
    for (let b = 0; b < batch; b++) {
      xh.set(input.x.subarray(b * I, (b + 1) * I), b * K);
      xh.set(h.subarray(b * H, (b + 1) * H), b * K + I);
    }
    return gateStep(spec, p, h, c, batch, null, inputRows);
  };
  const packed: PackedStepWeights = {
    kind,
    inputSize: I,
    hiddenSize: H,
    nonlinearity,
    weight,
    bias,
    usesWasmKernel: kernel !== null,
    product(batch: number): RowMatMul {
      let p = products.get(batch);
      if (!p) products.set(batch, (p = rowMatMul(weight, batch)));
      return p;
    },
    stepValues(input: StepValuesInput, h: Float32Array, c: Float32Array | null, batch: number, out?: StepValuesOutput): StepValuesResult {
      if ('ids' in input) checkTokenRange('PackedStepWeights.stepValues', 'ids', input.ids, batch, I);
      if (kernel) {
        const o = out ?? { h: new Float32Array(batch * H), c: kind === 'lstm' ? new Float32Array(batch * H) : null };
        kernel.step('ids' in input ? input.ids : null, 'x' in input ? input.x : null, h, c, batch, o.h, o.c);
        return o;
      }
      const r = tfjsStep(input, h, c, batch);
      if (!out) return r;
      out.h.set(r.h);
      if (out.c && r.c) out.c.set(r.c);
      return out;
    },
    dispose() {
      for (const p of products.values()) p.dispose();
      for (const p of hiddenProducts.values()) p.dispose();
      products.clear();
      hiddenProducts.clear();
      hiddenWeight?.dispose();
      hiddenWeight = null;
      kernel = null;
      weight.dispose();
    },
  };
  return packed;
}

interface StepSpec {
  kind: StepKind;
  I: number;
  H: number;
  N: number;
  bias: Float64Array;
  relu: boolean;
}

/**
 * out[b] = scale(out[b] + bias + rows[ids[b]]) where rows (the input rows of the packed weight)
 * are added only for id steps; the scale doubles the LSTM g block and every tanh RNN column
 * (σ(2z) gives tanh), and is 1 elsewhere.
 */
function addBiasAndRows(spec: StepSpec, out: Float32Array, B: number, ids: ArrayLike<number> | null, rows: Float32Array): void {
  const { kind, H, N, bias } = spec;
  const lo = kind === 'lstm' ? 2 * H : kind === 'rnn' && !spec.relu ? 0 : N;
  const hi = kind === 'lstm' ? 3 * H : N;
  for (let b = 0; b < B; b++) {
    const o = b * N;
    const r = ids ? ids[b]! * N : -1;
    for (let k = 0; k < N; k++) {
      const z = out[o + k]! + bias[k]! + (r >= 0 ? rows[r + k]! : 0);
      out[o + k] = k >= lo && k < hi ? 2 * z : z;
    }
  }
}

/** The product (already holding its input), then the gate math of one step. */
function gateStep(spec: StepSpec, mm: RowMatMul, hPrev: Float32Array, cPrev: Float32Array | null, B: number, ids: ArrayLike<number> | null, rows: Float32Array): StepValuesResult {
  const { kind, H, N } = spec;
  const sigmoid = !(kind === 'rnn' && spec.relu);
  const sig = mm.run((out) => addBiasAndRows(spec, out, B, ids, rows), sigmoid); // [B, N]
  const hOut = new Float32Array(B * H);
  if (kind === 'lstm') {
    const cOut = new Float32Array(B * H);
    for (let b = 0; b < B; b++) {
      const go = b * N;
      const so = b * H;
      for (let j = 0; j < H; j++) {
        const cn = sig[go + H + j]! * cPrev![so + j]! + sig[go + j]! * (2 * sig[go + 2 * H + j]! - 1);
        cOut[so + j] = cn;
        hOut[so + j] = sig[go + 3 * H + j]! * (2 / (1 + Math.exp(-2 * cn)) - 1);
      }
    }
    return { h: hOut, c: cOut };
  }
  if (kind === 'gru') {
    const pre = mm.product(); // [B, 4H]: …, W_in x + b_in, W_hn h + b_hn
    for (let b = 0; b < B; b++) {
      const go = b * N;
      const so = b * H;
      for (let j = 0; j < H; j++) {
        const r = sig[go + j]!;
        const z = sig[go + H + j]!;
        const n = 2 / (1 + Math.exp(-2 * (pre[go + 2 * H + j]! + r * pre[go + 3 * H + j]!))) - 1;
        hOut[so + j] = n + z * (hPrev[so + j]! - n);
      }
    }
    return { h: hOut, c: null };
  }
  for (let k = 0; k < B * H; k++) hOut[k] = spec.relu ? (sig[k]! > 0 ? sig[k]! : 0) : 2 * sig[k]! - 1;
  return { h: hOut, c: null };
}

function checkStep(fn: string, kind: StepKind, x: Tensor, h: Tensor, packed: PackedStepWeights): number {
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
  return B;
}

/** One LSTM step without gradient, for generation: x [B, I], h and c [B, H] -> new { h, c }. */
export function lstmStep(x: Tensor, h: Tensor, c: Tensor, packed: PackedStepWeights): LstmStepResult {
  const H = packed.hiddenSize;
  if (c.shape.length !== 2 || c.shape[0] !== h.shape[0] || c.shape[1] !== H) {
    throw new ShapeError({ fn: 'lstmStep', argument: 'c', expected: `of the shape of h`, received: [...c.shape] });
  }
  const B = checkStep('lstmStep', 'lstm', x, h, packed);
  const r = packed.stepValues({ x: readF32(x) }, readF32(h), readF32(c), B);
  return { h: tensorOf(r.h, [B, H]), c: tensorOf(r.c!, [B, H]) };
}

/** One GRU step without gradient, for generation: x [B, I], h [B, H] -> h' [B, H]. */
export function gruStep(x: Tensor, h: Tensor, packed: PackedStepWeights): Tensor {
  const B = checkStep('gruStep', 'gru', x, h, packed);
  return tensorOf(packed.stepValues({ x: readF32(x) }, readF32(h), null, B).h, [B, packed.hiddenSize]);
}

/** One plain RNN step without gradient, for generation: x [B, I], h [B, H] -> h' [B, H]. */
export function rnnStep(x: Tensor, h: Tensor, packed: PackedStepWeights): Tensor {
  const B = checkStep('rnnStep', 'rnn', x, h, packed);
  return tensorOf(packed.stepValues({ x: readF32(x) }, readF32(h), null, B).h, [B, packed.hiddenSize]);
}
