// Whole-sequence Elman RNN (tanh or relu) with a hand-written backward through time; same
// structure as lstmSequence (tanh through XNNPACK's sigmoid: tanh(x) = 2σ(2x) − 1).
import { tf, type Tensor } from '../backend/tf';
import { checkOneOf } from '../validate';
import type { RnnNonlinearity } from './cell-step';
import type { SequenceResult } from './composed-sequence';
import { acquireScratch, biasValues, columnSumValues, idsWeightGradValues, inputGradX, inputProjection, type InputProjection, previousStates, readF32, releaseScratch, runFused, tensorOf, weightGrad } from './fused-kernel';
import { rowMatMul } from './row-matmul';
import { checkSequenceArgs, sequenceInputs, type SequenceOptions } from './sequence-args';

/** Options of `rnnSequence`. */
export interface RnnSequenceOptions extends SequenceOptions {
  nonlinearity?: RnnNonlinearity;
}

/** out = scale · (out + xp[step] + bias), then relu in place when asked. */
function addInput(out: Float32Array, xp: InputProjection, row0: number, bias: Float64Array, B: number, H: number, relu: boolean): void {
  for (let b = 0; b < B; b++) {
    const o = b * H;
    const x = xp.offsets[row0 + b]!;
    const v = xp.values;
    if (relu) {
      for (let j = 0; j < H; j++) {
        const z = out[o + j]! + v[x + j]! + bias[j]!;
        out[o + j] = z > 0 ? z : 0;
      }
    } else {
      for (let j = 0; j < H; j++) out[o + j] = 2 * (out[o + j]! + v[x + j]! + bias[j]!);
    }
  }
}

/** h = 2s − 1 (tanh) or the relu'd product; into hNext and hs[step]. */
function storeState(v: Float32Array, tanh: boolean, hNext: Float32Array, hs: Float32Array, base: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const h = tanh ? 2 * v[k]! - 1 : v[k]!;
    hNext[k] = h;
    hs[base + k] = h;
  }
}

function preGrads(dOut: Float32Array, dh: Float32Array, hs: Float32Array, dG: Float32Array, dGStep: Float32Array, t: number, B: number, H: number, relu: boolean): void {
  const so = t * B * H;
  for (let b = 0; b < B; b++) {
    const po = b * H;
    for (let j = 0; j < H; j++) {
      const k = po + j;
      const y = hs[so + k]!;
      const dhv = dOut[so + k]! + dh[k]!;
      const d = relu ? (y > 0 ? dhv : 0) : dhv * (1 - y * y);
      dG[so + k] = d;
      dGStep[k] = d;
    }
  }
}

/**
 * Runs a plain RNN layer (one direction) over a whole sequence: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.
 * x [T, B, I] (or int32 token ids [T, B] standing for one-hot vectors of size I: the input
 * projection is then a row lookup of wIhᵀ and its gradient a scatter-add), h0 [B, H], wIh [H, I], wHh [H, H], biases [H] or null. Differentiable w.r.t. every input.
 */
export function rnnSequence(
  x: Tensor,
  h0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: RnnSequenceOptions = {},
): SequenceResult {
  const { T, B, I, H, ids } = checkSequenceArgs('rnnSequence', 1, x, h0, null, wIh, wHh, bIh, bHh);
  const relu = checkOneOf('rnnSequence', 'options.nonlinearity', options.nonlinearity ?? 'tanh', ['tanh', 'relu'] as const) === 'relu';
  const reverse = options.reverse ?? false;
  const BH = B * H;
  const tAt = (s: number): number => (reverse ? T - 1 - s : s);
  const saved = { hs: new Float32Array(0), h0: new Float32Array(0) };

  const forward = (save: (ts: Tensor[]) => void): Tensor[] => {
    save([x, wIh, wHh]);
    const xpv = inputProjection(x, wIh, ids, T * B, I, H); // [T*B, H]
    const bias = biasValues(bIh, H);
    const bh = biasValues(bHh, H);
    for (let j = 0; j < H; j++) bias[j] = bias[j]! + bh[j]!;
    const hs = new Float32Array(T * BH);
    const h0v = readF32(h0);
    const wHhT = tf.transpose(wHh); // [H, H]
    const mm = rowMatMul(wHhT, B);
    try {
      mm.input().set(h0v);
      for (let s = 0; s < T; s++) {
        const t = tAt(s);
        const v = mm.run((out) => addInput(out, xpv, t * B, bias, B, H, relu), !relu); // [B, H]
        storeState(v, !relu, mm.input(), hs, t * BH, BH);
      }
    } finally {
      mm.dispose();
      wHhT.dispose();
    }
    Object.assign(saved, { hs, h0: h0v });
    const tl = tAt(T - 1);
    return [tensorOf(hs, [T, B, H]), tensorOf(hs.slice(tl * BH, (tl + 1) * BH), [B, H])];
  };

  const backward = (dys: Tensor[], savedTensors: Tensor[]) => {
    const [xs, wIhS, wHhS] = savedTensors as [Tensor, Tensor, Tensor];
    const { hs } = saved;
    const dOut = readF32(dys[0]!);
    let dh: Float32Array = readF32(dys[1]!).slice();
    const dG = acquireScratch(T * BH); // [T, B, H] pre-activation gradients
    const mm = rowMatMul(wHhS, B); // [B, H]·[H, H]
    try {
      for (let s = T - 1; s >= 0; s--) {
        const t = tAt(s);
        preGrads(dOut, dh, hs, dG, mm.input(), t, B, H, relu);
        dh = mm.run();
      }
      dh = dh.slice();
    } finally {
      mm.dispose();
    }
    const dWihIds = ids ? idsWeightGradValues(dG, ids, H, I) : null; // one-hot input: scatter-add
    const dGt = tensorOf(dG, [T * B, H]);
    const dGT = tf.transpose(dGt); // [H, T*B]
    const hPrev = tensorOf(previousStates(hs, saved.h0, T, BH, reverse), [T * B, H]);
    const dBias = bIh || bHh ? columnSumValues(dG, T * B, H) : null;
    releaseScratch(dG);
    const grads: Record<string, () => Tensor> = {
      x: () => (ids ? tf.zeros([T, B]) : inputGradX(dGt, wIhS, [T, B, I])),
      h0: () => tensorOf(dh, [B, H]),
      wIh: () => (dWihIds ? tensorOf(dWihIds, [H, I]) : weightGrad(dGT, tf.reshape(xs, [T * B, I]))),
      wHh: () => weightGrad(dGT, hPrev),
    };
    if (bIh) grads.bIh = () => tensorOf(dBias!.slice(), [H]);
    if (bHh) grads.bHh = () => tensorOf(dBias!.slice(), [H]);
    return grads;
  };

  const [output, h] = runFused(sequenceInputs(x, h0, null, wIh, wHh, bIh, bHh), forward, backward) as [Tensor, Tensor];
  return { output, h };
}
