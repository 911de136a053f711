// Whole-sequence LSTM with a hand-written backward through time (the training fast path).
// Forward: all input projections in one matmul; per step one [B, H]·[H, 4H] product through
// XNNPACK, then the gates and the cell update. Backward: per step the gate gradients (no
// transcendental functions: they reuse the saved activations) and one [B, 4H]·[4H, H] product;
// the weight gradients once per sequence as single matmuls over all steps.
// The element-wise work runs in our WebAssembly SIMD kernels (assembly/sequence-kernels.ts) when
// H is a multiple of 4 and the module is usable; otherwise in JS, with the sigmoids (and tanh as
// 2σ(2x) − 1) through XNNPACK on heap buffers.
import { tf, type Tensor } from '../backend/tf';
import { acquireScratch, columnSumValues, idsWeightGradValues, inputProjection, type InputProjection, isRecording, previousStates, readF32, releaseScratch, runFused, sequenceGrads, summedBias, tensorOf, tensorOfView } from './fused-kernel';
import { arenaInputProjection, columnSumOf, idsWeightGradOf, sequenceArena } from '../wasm/sequence-arena';
import { heapSigmoid, type HeapSigmoid } from './heap-sigmoid';
import { rowMatMul, stepProduct } from './row-matmul';
import { checkSequenceArgs, sequenceInputs, type SequenceOptions } from './sequence-args';

/** Output sequence and final states of `lstmSequence`. */
export type LstmSequenceResult = {
  output: Tensor; // [T, B, H]
  h: Tensor; // [B, H]
  c: Tensor; // [B, H]
};

/** out[b, :] += xp[row b of step t] + bias; the g block doubled (σ(2x) gives tanh). */
function addInput(out: Float32Array, xp: InputProjection, row0: number, bias: Float64Array, B: number, H: number): void {
  const G = 4 * H;
  const H2 = 2 * H;
  const H3 = 3 * H;
  for (let b = 0; b < B; b++) {
    const o = b * G;
    const x = xp.offsets[row0 + b]!;
    const v = xp.values;
    for (let k = 0; k < H2; k++) out[o + k] = out[o + k]! + v[x + k]! + bias[k]!;
    for (let k = H2; k < H3; k++) out[o + k] = 2 * (out[o + k]! + v[x + k]! + bias[k]!);
    for (let k = H3; k < G; k++) out[o + k] = out[o + k]! + v[x + k]! + bias[k]!;
  }
}

/**
 * Cell update from the gate sigmoids s [B, 4H]: c = f·c' + i·g, then tanh(c) = 2σ(2c) − 1 with σ
 * from `sg` (one vectorised call per step), h = o·tanh(c). Writes h into the next step's matmul
 * input and the saved arrays.
 */
function cellUpdate(
  s: Float32Array,
  cPrev: Float32Array,
  cPrevBase: number,
  hNextView: () => Float32Array,
  sg: HeapSigmoid,
  acts: Float32Array,
  cs: Float32Array,
  tcs: Float32Array,
  hs: Float32Array,
  t: number,
  B: number,
  H: number,
): void {
  const G = 4 * H;
  const twoC = sg.input(); // [B, H]
  for (let b = 0; b < B; b++) {
    const o = b * G;
    const go = t * B * G + o;
    const so = (t * B + b) * H;
    const po = b * H;
    for (let j = 0; j < H; j++) {
      const i = s[o + j]!;
      const f = s[o + H + j]!;
      const g = 2 * s[o + 2 * H + j]! - 1;
      const c = f * cPrev[cPrevBase + po + j]! + i * g;
      acts[go + j] = i;
      acts[go + H + j] = f;
      acts[go + 2 * H + j] = g;
      acts[go + 3 * H + j] = s[o + 3 * H + j]!;
      cs[so + j] = c;
      twoC[po + j] = 2 * c;
    }
  }
  const sc = sg.run(); // [B, H] σ(2c)
  const hNext = hNextView(); // taken after run: allocating may grow the heap and detach views
  for (let b = 0; b < B; b++) {
    const go = t * B * G + b * G + 3 * H;
    const so = (t * B + b) * H;
    const po = b * H;
    for (let j = 0; j < H; j++) {
      const tc = 2 * sc[po + j]! - 1;
      const h = acts[go + j]! * tc;
      tcs[so + j] = tc;
      hs[so + j] = h;
      hNext[po + j] = h;
    }
  }
}

/** Gate pre-activation gradients of step t; updates dc in place, writes dG (and dGStep). */
function gateGrads(
  dOut: Float32Array,
  dh: Float32Array,
  dc: Float32Array,
  acts: Float32Array,
  tcs: Float32Array,
  cPrev: Float32Array,
  cPrevBase: number,
  dG: Float32Array,
  dGStep: Float32Array,
  t: number,
  B: number,
  H: number,
): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const go = (t * B + b) * G;
    const ro = b * G;
    const so = (t * B + b) * H;
    const po = b * H;
    for (let j = 0; j < H; j++) {
      const dhv = dOut[so + j]! + dh[po + j]!;
      const i = acts[go + j]!;
      const f = acts[go + H + j]!;
      const g = acts[go + 2 * H + j]!;
      const o = acts[go + 3 * H + j]!;
      const tc = tcs[so + j]!;
      const dct = dc[po + j]! + dhv * o * (1 - tc * tc);
      const di = dct * g * i * (1 - i);
      const df = dct * cPrev[cPrevBase + po + j]! * f * (1 - f);
      const dg = dct * i * (1 - g * g);
      const dO = dhv * tc * o * (1 - o);
      dG[go + j] = di;
      dG[go + H + j] = df;
      dG[go + 2 * H + j] = dg;
      dG[go + 3 * H + j] = dO;
      dGStep[ro + j] = di;
      dGStep[ro + H + j] = df;
      dGStep[ro + 2 * H + j] = dg;
      dGStep[ro + 3 * H + j] = dO;
      dc[po + j] = dct * f;
    }
  }
}

/**
 * Runs an LSTM layer (one direction) over a whole sequence; differentiable w.r.t. every input.
 * x [T, B, I] (or int32 token ids [T, B] standing for one-hot vectors of size I: the input
 * projection is then a row lookup of wIhᵀ and its gradient a scatter-add), h0 and c0 [B, H], wIh [4H, I], wHh [4H, H], biases [4H] or null (gates i, f, g, o).
 * With `reverse`, time runs from T−1 to 0 and `output[t]` is the state after consuming x[t].
 */
export function lstmSequence(
  x: Tensor,
  h0: Tensor,
  c0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: SequenceOptions = {},
): LstmSequenceResult {
  const { T, B, I, H, ids } = checkSequenceArgs('lstmSequence', 4, x, h0, c0, wIh, wHh, bIh, bHh);
  const reverse = options.reverse ?? false;
  const G = 4 * H;
  const BH = B * H;
  const tAt = (s: number): number => (reverse ? T - 1 - s : s);
  const saved = {
    acts: new Float32Array(0), // [T, B, 4H] σ(i), σ(f), tanh(g), σ(o)
    cs: new Float32Array(0), // [T, B, H] cell states
    tcs: new Float32Array(0), // [T, B, H] tanh(c)
    hs: new Float32Array(0), // [T, B, H] hidden states (the output)
    h0: new Float32Array(0),
    c0: new Float32Array(0),
  };

  const recording = isRecording();
  const forward = (save: (ts: Tensor[]) => void): Tensor[] => {
    save([x, wIh, wHh]);
    const xpv = inputProjection(x, wIh, ids, T * B, I, G); // [T*B, 4H]
    const bias = summedBias(bIh, bHh, G);
    const acts = acquireScratch(T * B * G);
    const cs = acquireScratch(T * BH);
    const tcs = acquireScratch(T * BH);
    const hs = new Float32Array(T * BH); // becomes the output tensor's values
    const h0v = readF32(h0);
    const c0v = readF32(c0);
    const wHhT = tf.transpose(wHh); // [H, 4H]
    const mm = rowMatMul(wHhT, B);
    const sg = heapSigmoid(BH);
    const hNextView = (): Float32Array => mm.input();
    try {
      mm.input().set(h0v);
      for (let s = 0; s < T; s++) {
        const t = tAt(s);
        const tp = s === 0 ? -1 : tAt(s - 1);
        const sig = mm.run((out) => addInput(out, xpv, t * B, bias, B, H), true); // [B, 4H]
        cellUpdate(sig, tp < 0 ? c0v : cs, tp < 0 ? 0 : tp * BH, hNextView, sg, acts, cs, tcs, hs, t, B, H);
      }
    } finally {
      sg.dispose();
      mm.dispose();
      wHhT.dispose();
    }
    const tl = tAt(T - 1);
    const outs = [tensorOf(hs, [T, B, H]), tensorOf(hs.slice(tl * BH, (tl + 1) * BH), [B, H]), tensorOf(cs.slice(tl * BH, (tl + 1) * BH), [B, H])];
    if (recording) Object.assign(saved, { acts, cs, tcs, hs, h0: h0v, c0: c0v });
    else releaseScratch(acts, cs, tcs);
    return outs;
  };

  const backward = (dys: Tensor[], savedTensors: Tensor[]) => {
    const [xs, wIhS, wHhS] = savedTensors as [Tensor, Tensor, Tensor];
    const { acts, cs, tcs, hs } = saved;
    const dOut = readF32(dys[0]!);
    let dh: Float32Array = readF32(dys[1]!).slice();
    const dc = readF32(dys[2]!).slice();
    const dG = acquireScratch(T * B * G); // [T, B, 4H] pre-activation gradients
    const mm = rowMatMul(wHhS, B); // [B, 4H]·[4H, H]
    try {
      for (let s = T - 1; s >= 0; s--) {
        const t = tAt(s);
        const tp = s === 0 ? -1 : tAt(s - 1);
        gateGrads(dOut, dh, dc, acts, tcs, tp < 0 ? saved.c0 : cs, tp < 0 ? 0 : tp * BH, dG, mm.input(), t, B, H);
        dh = mm.run();
      }
      dh = dh.slice();
    } finally {
      mm.dispose();
    }
    const dWihIds = ids ? idsWeightGradValues(dG, ids, G, I) : null; // one-hot input: scatter-add
    const dGt = tensorOf(dG, [T * B, G]);
    const dGT = tf.transpose(dGt); // [4H, T*B]
    const hPrev = tensorOf(previousStates(hs, saved.h0, T, BH, reverse), [T * B, H]);
    const dBiasValues = bIh || bHh ? columnSumValues(dG, T * B, G) : null;
    releaseScratch(dG, acts, cs, tcs);
    // Both biases get the same gradient.
    return sequenceGrads({ T, B, I, H, G, ids, xs, wIh: wIhS, dGin: dGt, dGinT: dGT, dGhT: dGT, hPrev, dWihIds, dh0: dh, dc0: dc, dbIh: bIh ? dBiasValues : null, dbHh: bHh ? dBiasValues : null });
  };

  // With our WebAssembly SIMD module (H a multiple of 4) the element-wise work of both passes runs
  // there instead: the activations live in the module's memory from forward to backward, and each
  // step copies its product in and h (or the gate gradients) out.
  const arena = sequenceArena(H);
  const blocks = { acts: 0, cs: 0, tcs: 0, hs: 0, c0: 0, h0: new Float32Array(0) };

  const forwardKernel = (save: (ts: Tensor[]) => void): Tensor[] => {
    const k = arena!;
    save([x, wIh, wHh]);
    const xpv = inputProjection(x, wIh, ids, T * B, I, G); // [T*B, 4H] or [I, 4H] rows
    const bias = summedBias(bIh, bHh, G);
    const xp = arenaInputProjection(k, xpv);
    const biasB = k.alloc(G);
    const preB = k.alloc(B * G);
    const c0B = k.alloc(BH);
    const actsB = k.alloc(T * B * G);
    const csB = k.alloc(T * BH);
    const tcsB = k.alloc(T * BH);
    const hsB = k.alloc(T * BH);
    const h0B = k.alloc(BH);
    const mm = stepProduct(k, wHh, B, true); // h · W_hhᵀ
    const f32 = k.f32; // after the last alloc
    f32.set(bias, biasB >>> 2);
    const h0v = readF32(h0);
    f32.set(h0v, h0B >>> 2);
    f32.set(readF32(c0), c0B >>> 2);
    try {
      for (let s = 0; s < T; s++) {
        const t = tAt(s);
        const tp = s === 0 ? -1 : tAt(s - 1);
        mm.run(tp < 0 ? h0B : hsB + 4 * tp * BH, preB); // h · W_hhᵀ [B, 4H]
        k.fns.lstmForwardStep(preB, xp.values, xp.offsets + 4 * t * B, biasB, tp < 0 ? c0B : csB + 4 * tp * BH, actsB + 4 * t * B * G, csB + 4 * t * BH, tcsB + 4 * t * BH, hsB + 4 * t * BH, B, H);
      }
    } finally {
      mm.dispose();
    }
    const tl = tAt(T - 1);
    const outs = [tensorOfView(k.view(hsB, T * BH), [T, B, H]), tensorOfView(k.view(hsB + 4 * tl * BH, BH), [B, H]), tensorOfView(k.view(csB + 4 * tl * BH, BH), [B, H])];
    k.release(xp.values, xp.offsets, biasB, preB, h0B);
    if (recording) {
      Object.assign(blocks, { acts: actsB, cs: csB, tcs: tcsB, hs: hsB, c0: c0B, h0: h0v });
      k.hold(blocks, [actsB, csB, tcsB, hsB, c0B]);
    } else k.release(actsB, csB, tcsB, hsB, c0B);
    return outs;
  };

  const backwardKernel = (dys: Tensor[], savedTensors: Tensor[]) => {
    const k = arena!;
    const [xs, wIhS, wHhS] = savedTensors as [Tensor, Tensor, Tensor];
    const { acts, cs, tcs, hs, c0: c0B } = blocks;
    const dOutB = k.alloc(T * BH);
    const dhB = k.alloc(BH);
    const dcB = k.alloc(BH);
    const dGB = k.alloc(T * B * G);
    const mm = stepProduct(k, wHhS, B, false); // [B, 4H]·[4H, H]
    const f32 = k.f32; // after the last alloc
    f32.set(readF32(dys[0]!), dOutB >>> 2);
    f32.set(readF32(dys[1]!), dhB >>> 2);
    f32.set(readF32(dys[2]!), dcB >>> 2);
    try {
      for (let s = T - 1; s >= 0; s--) {
        const t = tAt(s);
        const tp = s === 0 ? -1 : tAt(s - 1);
        const dGAt = dGB + 4 * t * B * G;
        k.fns.lstmBackwardStep(dOutB + 4 * t * BH, dhB, dcB, acts + 4 * t * B * G, tcs + 4 * t * BH, tp < 0 ? c0B : cs + 4 * tp * BH, dGAt, B, H);
        mm.run(dGAt, dhB); // dh = dG · W_hh
      }
    } finally {
      mm.dispose();
    }
    const dWihIds = ids ? idsWeightGradOf(k, dGB, ids, T * B, G, I) : null; // one-hot input: scatter-add
    const dBias = bIh || bHh ? columnSumOf(k, dGB, T * B, G) : null;
    const dh = k.view(dhB, BH).slice();
    const dc = k.view(dcB, BH).slice();
    const dGt = tensorOfView(k.view(dGB, T * B * G), [T * B, G]);
    const hPrev = tensorOf(previousStates(k.view(hs, T * BH), blocks.h0, T, BH, reverse), [T * B, H]);
    k.release(dOutB, dhB, dcB, dGB);
    k.drop(blocks, [acts, cs, tcs, hs, c0B]);
    const dGT = tf.transpose(dGt); // [4H, T*B]
    return sequenceGrads({ T, B, I, H, G, ids, xs, wIh: wIhS, dGin: dGt, dGinT: dGT, dGhT: dGT, hPrev, dWihIds, dh0: dh, dc0: dc, dbIh: bIh ? dBias : null, dbHh: bHh ? dBias : null });
  };

  const [output, h, c] = (arena ? runFused(sequenceInputs(x, h0, c0, wIh, wHh, bIh, bHh), forwardKernel, backwardKernel) : runFused(sequenceInputs(x, h0, c0, wIh, wHh, bIh, bHh), forward, backward)) as [Tensor, Tensor, Tensor];
  return { output, h, c };
}
