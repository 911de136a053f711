// Whole-sequence GRU with a hand-written backward through time (the training fast path); same
// structure as lstmSequence (our WebAssembly SIMD kernels when H is a multiple of 4, else JS). Gates r, z, n; the reset gate multiplies the hidden-side product
// including its bias, as PyTorch does.
import { tf, type Tensor } from '../backend/tf';
import type { SequenceResult } from './composed-sequence';
import { acquireScratch, biasValues, columnSumValues, idsWeightGradValues, inputProjection, type InputProjection, isRecording, previousStates, readF32, releaseScratch, runFused, sequenceGrads, tensorOf, tensorOfView } from './fused-kernel';
import { arenaInputProjection, columnSumOf, idsWeightGradOf, sequenceArena } from '../wasm/sequence-arena';
import { heapSigmoid, type HeapSigmoid } from './heap-sigmoid';
import { rowMatMul, stepProduct } from './row-matmul';
import { checkSequenceArgs, sequenceInputs, type SequenceOptions } from './sequence-args';

/** r, z columns: out += xp + b_i + b_h (for the sigmoid); n columns: out += b_hn (kept as W_hn h + b_hn). */
function addInput(out: Float32Array, xp: InputProjection, row0: number, bi: Float64Array, bh: Float64Array, B: number, H: number): void {
  const G = 3 * H;
  const H2 = 2 * H;
  for (let b = 0; b < B; b++) {
    const o = b * G;
    const x = xp.offsets[row0 + b]!;
    const v = xp.values;
    for (let k = 0; k < H2; k++) out[o + k] = out[o + k]! + v[x + k]! + bi[k]! + bh[k]!;
    for (let k = H2; k < G; k++) out[o + k] = out[o + k]! + bh[k]!;
  }
}

/**
 * The step's new h from the gate sigmoids s [B, 3H] and the hidden-side products: n = tanh(x_n +
 * b_in + r·(W_hn h + b_hn)) as 2σ(2·)−1 with σ from `sg` (one vectorised call), h = n + z·(h' − n).
 */
function update(
  s: Float32Array,
  prod: Float32Array,
  xp: InputProjection,
  bi: Float64Array,
  hPrev: Float32Array,
  hPrevBase: number,
  hNextView: () => Float32Array,
  sg: HeapSigmoid,
  acts: Float32Array,
  hs: Float32Array,
  t: number,
  B: number,
  H: number,
): void {
  const G = 3 * H;
  const A = 4 * H;
  const arg = sg.input(); // [B, H]
  for (let b = 0; b < B; b++) {
    const o = b * G;
    const x = xp.offsets[t * B + b]!;
    const ao = (t * B + b) * A;
    const po = b * H;
    for (let j = 0; j < H; j++) {
      const r = s[o + j]!;
      const hn = prod[o + 2 * H + j]!;
      acts[ao + j] = r;
      acts[ao + H + j] = s[o + H + j]!;
      acts[ao + 3 * H + j] = hn;
      arg[po + j] = 2 * (xp.values[x + 2 * H + j]! + bi[2 * H + j]! + r * hn);
    }
  }
  const sn = sg.run(); // [B, H] σ(2·pre_n)
  const hNext = hNextView(); // taken after run: allocating may grow the heap and detach views
  for (let b = 0; b < B; b++) {
    const ao = (t * B + b) * A;
    const so = (t * B + b) * H;
    const po = b * H;
    for (let j = 0; j < H; j++) {
      const n = 2 * sn[po + j]! - 1;
      const h = n + acts[ao + H + j]! * (hPrev[hPrevBase + po + j]! - n);
      acts[ao + 2 * H + j] = n;
      hs[so + j] = h;
      hNext[po + j] = h;
    }
  }
}

function gateGrads(
  dOut: Float32Array,
  dh: Float32Array,
  direct: Float32Array,
  acts: Float32Array,
  hPrev: Float32Array,
  hPrevBase: number,
  dGi: Float32Array,
  dGh: Float32Array,
  dGhStep: Float32Array,
  t: number,
  B: number,
  H: number,
): void {
  const G = 3 * H;
  const A = 4 * H;
  for (let b = 0; b < B; b++) {
    const go = (t * B + b) * G;
    const ro = b * G;
    const ao = (t * B + b) * A;
    const so = (t * B + b) * H;
    const po = b * H;
    for (let j = 0; j < H; j++) {
      const dhv = dOut[so + j]! + dh[po + j]! + direct[po + j]!;
      const r = acts[ao + j]!;
      const z = acts[ao + H + j]!;
      const n = acts[ao + 2 * H + j]!;
      const hn = acts[ao + 3 * H + j]!;
      const hp = hPrev[hPrevBase + po + j]!;
      const dnPre = dhv * (1 - z) * (1 - n * n);
      const dzPre = dhv * (hp - n) * z * (1 - z);
      const drPre = dnPre * hn * r * (1 - r);
      const dhn = dnPre * r;
      dGi[go + j] = drPre;
      dGi[go + H + j] = dzPre;
      dGi[go + 2 * H + j] = dnPre;
      dGh[go + j] = drPre;
      dGh[go + H + j] = dzPre;
      dGh[go + 2 * H + j] = dhn;
      dGhStep[ro + j] = drPre;
      dGhStep[ro + H + j] = dzPre;
      dGhStep[ro + 2 * H + j] = dhn;
      direct[po + j] = dhv * z;
    }
  }
}

/**
 * Runs a GRU layer (one direction) over a whole sequence; differentiable w.r.t. every input.
 * x [T, B, I] (or int32 token ids [T, B] standing for one-hot vectors of size I: the input
 * projection is then a row lookup of wIhᵀ and its gradient a scatter-add), h0 [B, H], wIh [3H, I], wHh [3H, H], biases [3H] or null. Returns output [T, B, H]
 * and the final state h [B, H].
 */
export function gruSequence(
  x: Tensor,
  h0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: SequenceOptions = {},
): SequenceResult {
  const { T, B, I, H, ids } = checkSequenceArgs('gruSequence', 3, x, h0, null, wIh, wHh, bIh, bHh);
  const reverse = options.reverse ?? false;
  const G = 3 * H;
  const BH = B * H;
  const tAt = (s: number): number => (reverse ? T - 1 - s : s);
  const saved = { acts: new Float32Array(0), hs: new Float32Array(0), h0: new Float32Array(0) };
  const recording = isRecording();

  const forward = (save: (ts: Tensor[]) => void): Tensor[] => {
    save([x, wIh, wHh]);
    const xpv = inputProjection(x, wIh, ids, T * B, I, G); // [T*B, 3H]
    const bi = biasValues(bIh, G);
    const bh = biasValues(bHh, G);
    const acts = acquireScratch(T * B * 4 * H); // r, z, n, W_hn h + b_hn
    const hs = new Float32Array(T * BH);
    const h0v = readF32(h0);
    const wHhT = tf.transpose(wHh); // [H, 3H]
    const mm = rowMatMul(wHhT, B);
    const sg = heapSigmoid(BH);
    const hNextView = (): Float32Array => mm.input();
    try {
      mm.input().set(h0v);
      for (let s = 0; s < T; s++) {
        const t = tAt(s);
        const tp = s === 0 ? -1 : tAt(s - 1);
        const sig = mm.run((out) => addInput(out, xpv, t * B, bi, bh, B, H), true); // [B, 3H]
        update(sig, mm.product(), xpv, bi, tp < 0 ? h0v : hs, tp < 0 ? 0 : tp * BH, hNextView, sg, acts, hs, t, B, H);
      }
    } finally {
      sg.dispose();
      mm.dispose();
      wHhT.dispose();
    }
    if (recording) Object.assign(saved, { acts, hs, h0: h0v });
    else releaseScratch(acts);
    const tl = tAt(T - 1);
    return [tensorOf(hs, [T, B, H]), tensorOf(hs.slice(tl * BH, (tl + 1) * BH), [B, H])];
  };

  const backward = (dys: Tensor[], savedTensors: Tensor[]) => {
    const [xs, wIhS, wHhS] = savedTensors as [Tensor, Tensor, Tensor];
    const { acts, hs } = saved;
    const dOut = readF32(dys[0]!);
    let dh: Float32Array = readF32(dys[1]!).slice();
    const direct = new Float32Array(BH); // dh'·z: the part of dh_prev that skips the matmul
    const dGi = acquireScratch(T * B * G); // [T, B, 3H] input-side pre-activation gradients
    const dGh = acquireScratch(T * B * G); // [T, B, 3H] hidden-side pre-activation gradients
    const mm = rowMatMul(wHhS, B); // [B, 3H]·[3H, H]
    try {
      for (let s = T - 1; s >= 0; s--) {
        const t = tAt(s);
        const tp = s === 0 ? -1 : tAt(s - 1);
        gateGrads(dOut, dh, direct, acts, tp < 0 ? saved.h0 : hs, tp < 0 ? 0 : tp * BH, dGi, dGh, mm.input(), t, B, H);
        dh = mm.run();
      }
      const d0 = new Float32Array(BH);
      for (let k = 0; k < BH; k++) d0[k] = dh[k]! + direct[k]!;
      dh = d0;
    } finally {
      mm.dispose();
    }
    const dWihIds = ids ? idsWeightGradValues(dGi, ids, G, I) : null; // one-hot input: scatter-add
    const dGit = tensorOf(dGi, [T * B, G]);
    const dGiT = tf.transpose(dGit); // [3H, T*B]
    const dGhT = tf.transpose(tensorOf(dGh, [T * B, G])); // [3H, T*B]
    const hPrev = tensorOf(previousStates(hs, saved.h0, T, BH, reverse), [T * B, H]);
    const dbi = bIh ? columnSumValues(dGi, T * B, G) : null;
    const dbh = bHh ? columnSumValues(dGh, T * B, G) : null;
    releaseScratch(dGi, dGh, acts);
    return sequenceGrads({ T, B, I, H, G, ids, xs, wIh: wIhS, dGin: dGit, dGinT: dGiT, dGhT, hPrev, dWihIds, dh0: dh, dbIh: dbi, dbHh: dbh });
  };

  // With our WebAssembly SIMD module (H a multiple of 4) the element-wise work of both passes runs
  // there instead (see lstmSequence).
  const arena = sequenceArena(H);
  const blocks = { acts: 0, hs: 0, h0: 0 };

  const forwardKernel = (save: (ts: Tensor[]) => void): Tensor[] => {
    const k = arena!;
    save([x, wIh, wHh]);
    const xpv = inputProjection(x, wIh, ids, T * B, I, G); // [T*B, 3H] or [I, 3H] rows
    const xp = arenaInputProjection(k, xpv);
    const biB = k.alloc(G);
    const bhB = k.alloc(G);
    const preB = k.alloc(B * G);
    const h0B = k.alloc(BH);
    const actsB = k.alloc(T * B * 4 * H);
    const hsB = k.alloc(T * BH);
    const mm = stepProduct(k, wHh, B, true); // h · W_hhᵀ
    const f32 = k.f32; // after the last alloc
    f32.set(biasValues(bIh, G), biB >>> 2);
    f32.set(biasValues(bHh, G), bhB >>> 2);
    f32.set(readF32(h0), h0B >>> 2);
    try {
      for (let s = 0; s < T; s++) {
        const t = tAt(s);
        const tp = s === 0 ? -1 : tAt(s - 1);
        const hPrev = tp < 0 ? h0B : hsB + 4 * tp * BH;
        mm.run(hPrev, preB); // h · W_hhᵀ [B, 3H]
        k.fns.gruForwardStep(preB, xp.values, xp.offsets + 4 * t * B, biB, bhB, hPrev, actsB + 16 * t * BH, hsB + 4 * t * BH, B, H);
      }
    } finally {
      mm.dispose();
    }
    const tl = tAt(T - 1);
    const outs = [tensorOfView(k.view(hsB, T * BH), [T, B, H]), tensorOfView(k.view(hsB + 4 * tl * BH, BH), [B, H])];
    k.release(xp.values, xp.offsets, biB, bhB, preB);
    if (recording) {
      Object.assign(blocks, { acts: actsB, hs: hsB, h0: h0B });
      k.hold(blocks, [actsB, hsB, h0B]);
    } else k.release(actsB, hsB, h0B);
    return outs;
  };

  const backwardKernel = (dys: Tensor[], savedTensors: Tensor[]) => {
    const k = arena!;
    const [xs, wIhS, wHhS] = savedTensors as [Tensor, Tensor, Tensor];
    const { acts, hs, h0: h0B } = blocks;
    const dOutB = k.alloc(T * BH);
    const dhB = k.alloc(BH);
    const directB = k.alloc(BH);
    const dGiB = k.alloc(T * B * G);
    const dGhB = k.alloc(T * B * G);
    const mm = stepProduct(k, wHhS, B, false); // [B, 3H]·[3H, H]
    const f32 = k.f32; // after the last alloc
    f32.set(readF32(dys[0]!), dOutB >>> 2);
    f32.set(readF32(dys[1]!), dhB >>> 2);
    f32.fill(0, directB >>> 2, (directB >>> 2) + BH);
    try {
      for (let s = T - 1; s >= 0; s--) {
        const t = tAt(s);
        const tp = s === 0 ? -1 : tAt(s - 1);
        const dGhAt = dGhB + 4 * t * B * G;
        k.fns.gruBackwardStep(dOutB + 4 * t * BH, dhB, directB, acts + 16 * t * BH, tp < 0 ? h0B : hs + 4 * tp * BH, dGiB + 4 * t * B * G, dGhAt, B, H);
        mm.run(dGhAt, dhB); // dGh · W_hh
      }
    } finally {
      mm.dispose();
    }
    const dh = k.view(dhB, BH).slice();
    const direct = k.view(directB, BH);
    for (let j = 0; j < BH; j++) dh[j] = dh[j]! + direct[j]!;
    const dWihIds = ids ? idsWeightGradOf(k, dGiB, ids, T * B, G, I) : null; // one-hot input: scatter-add
    const dbi = bIh ? columnSumOf(k, dGiB, T * B, G) : null;
    const dbh = bHh ? columnSumOf(k, dGhB, T * B, G) : null;
    const dGit = tensorOfView(k.view(dGiB, T * B * G), [T * B, G]);
    const dGhT = tf.transpose(tensorOfView(k.view(dGhB, T * B * G), [T * B, G])); // [3H, T*B]
    const hPrev = tensorOf(previousStates(k.view(hs, T * BH), k.view(h0B, BH), T, BH, reverse), [T * B, H]);
    k.release(dOutB, dhB, directB, dGiB, dGhB);
    k.drop(blocks, [acts, hs, h0B]);
    const dGiT = tf.transpose(dGit); // [3H, T*B]
    return sequenceGrads({ T, B, I, H, G, ids, xs, wIh: wIhS, dGin: dGit, dGinT: dGiT, dGhT, hPrev, dWihIds, dh0: dh, dbIh: dbi, dbHh: dbh });
  };

  const inputs = sequenceInputs(x, h0, null, wIh, wHh, bIh, bHh);
  const [output, h] = (arena ? runFused(inputs, forwardKernel, backwardKernel) : runFused(inputs, forward, backward)) as [Tensor, Tensor];
  return { output, h };
}
