// Whole-sequence Elman RNN (tanh or relu) with a hand-written backward through time; same
// structure as lstmSequence: the element-wise work in our WebAssembly SIMD kernels when H is a
// multiple of 4, else in JS with tanh through XNNPACK's sigmoid (tanh(x) = 2σ(2x) − 1).
import { tf, type Tensor } from '../backend/tf';
import { checkOneOf } from '../validate';
import type { RnnNonlinearity } from './cell-step';
import type { SequenceResult } from './composed-sequence';
import { acquireScratch, columnSumValues, idsWeightGradValues, inputProjection, type InputProjection, isRecording, previousStates, readF32, releaseScratch, runFused, sequenceGrads, summedBias, tensorOf, tensorOfView } from './fused-kernel';
import { arenaInputProjection, columnSumOf, idsWeightGradOf, sequenceArena } from '../wasm/sequence-arena';
import { rowMatMul, stepProduct } from './row-matmul';
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
    const bias = summedBias(bIh, bHh, H);
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
    return sequenceGrads({ T, B, I, H, G: H, ids, xs, wIh: wIhS, dGin: dGt, dGinT: dGT, dGhT: dGT, hPrev, dWihIds, dh0: dh, dbIh: bIh ? dBias : null, dbHh: bHh ? dBias : null });
  };

  // With our WebAssembly SIMD module (H a multiple of 4) the element-wise work of both passes runs
  // there instead (see lstmSequence).
  const arena = sequenceArena(H);
  const recording = isRecording();
  const blocks = { hs: 0, h0: new Float32Array(0) };

  const forwardKernel = (save: (ts: Tensor[]) => void): Tensor[] => {
    const k = arena!;
    save([x, wIh, wHh]);
    const xpv = inputProjection(x, wIh, ids, T * B, I, H); // [T*B, H] or [I, H] rows
    const bias = summedBias(bIh, bHh, H);
    const xp = arenaInputProjection(k, xpv);
    const biasB = k.alloc(H);
    const preB = k.alloc(BH);
    const hsB = k.alloc(T * BH);
    const h0B = k.alloc(BH);
    const mm = stepProduct(k, wHh, B, true); // h · W_hhᵀ
    const f32 = k.f32; // after the last alloc
    f32.set(bias, biasB >>> 2);
    const h0v = readF32(h0);
    f32.set(h0v, h0B >>> 2);
    try {
      for (let s = 0; s < T; s++) {
        const t = tAt(s);
        const tp = s === 0 ? -1 : tAt(s - 1);
        mm.run(tp < 0 ? h0B : hsB + 4 * tp * BH, preB); // h · W_hhᵀ [B, H]
        k.fns.rnnForwardStep(preB, xp.values, xp.offsets + 4 * t * B, biasB, hsB + 4 * t * BH, B, H, relu ? 1 : 0);
      }
    } finally {
      mm.dispose();
    }
    const tl = tAt(T - 1);
    const outs = [tensorOfView(k.view(hsB, T * BH), [T, B, H]), tensorOfView(k.view(hsB + 4 * tl * BH, BH), [B, H])];
    k.release(xp.values, xp.offsets, biasB, preB, h0B);
    if (recording) {
      Object.assign(blocks, { hs: hsB, h0: h0v });
      k.hold(blocks, [hsB]);
    } else k.release(hsB);
    return outs;
  };

  const backwardKernel = (dys: Tensor[], savedTensors: Tensor[]) => {
    const k = arena!;
    const [xs, wIhS, wHhS] = savedTensors as [Tensor, Tensor, Tensor];
    const hs = blocks.hs;
    const dOutB = k.alloc(T * BH);
    const dhB = k.alloc(BH);
    const dGB = k.alloc(T * BH);
    const mm = stepProduct(k, wHhS, B, false); // [B, H]·[H, H]
    const f32 = k.f32; // after the last alloc
    f32.set(readF32(dys[0]!), dOutB >>> 2);
    f32.set(readF32(dys[1]!), dhB >>> 2);
    try {
      for (let s = T - 1; s >= 0; s--) {
        const t = tAt(s);
        const at = 4 * t * BH;
        k.fns.rnnBackwardStep(dOutB + at, dhB, hs + at, dGB + at, BH, relu ? 1 : 0);
        mm.run(dGB + at, dhB); // dG · W_hh
      }
    } finally {
      mm.dispose();
    }
    const dWihIds = ids ? idsWeightGradOf(k, dGB, ids, T * B, H, I) : null; // one-hot input: scatter-add
    const dBias = bIh || bHh ? columnSumOf(k, dGB, T * B, H) : null;
    const dh = k.view(dhB, BH).slice();
    const dGt = tensorOfView(k.view(dGB, T * BH), [T * B, H]);
    const hPrev = tensorOf(previousStates(k.view(hs, T * BH), blocks.h0, T, BH, reverse), [T * B, H]);
    k.release(dOutB, dhB, dGB);
    k.drop(blocks, [hs]);
    const dGT = tf.transpose(dGt); // [H, T*B]
    return sequenceGrads({ T, B, I, H, G: H, ids, xs, wIh: wIhS, dGin: dGt, dGinT: dGT, dGhT: dGT, hPrev, dWihIds, dh0: dh, dbIh: bIh ? dBias : null, dbHh: bHh ? dBias : null });
  };

  const inputs = sequenceInputs(x, h0, null, wIh, wHh, bIh, bHh);
  const [output, h] = (arena ? runFused(inputs, forwardKernel, backwardKernel) : runFused(inputs, forward, backward)) as [Tensor, Tensor];
  return { output, h };
}
