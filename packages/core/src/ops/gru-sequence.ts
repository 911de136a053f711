// Whole-sequence GRU with a hand-written backward through time (the training fast path); same
// structure as lstmSequence. Gates r, z, n; the reset gate multiplies the hidden-side product
// including its bias, as PyTorch does.
import { tf, type Tensor } from '../backend/tf';
import type { SequenceResult } from './composed-sequence';
import { biasValues, columnSums, hiddenGradW, inputGradW, inputGradX, matMulValues, readF32, runFused, tensorOf } from './fused-kernel';
import { checkSequenceArgs, sequenceInputs, type SequenceOptions } from './sequence-args';

/**
 * Runs a GRU layer (one direction) over a whole sequence; differentiable w.r.t. every input.
 * x [T, B, I], h0 [B, H], wIh [3H, I], wHh [3H, H], biases [3H] or null. Returns output [T, B, H]
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
  const { T, B, I, H } = checkSequenceArgs('gruSequence', 3, x, h0, null, wIh, wHh, bIh, bHh);
  const reverse = options.reverse ?? false;
  const G = 3 * H;
  const A = 4 * H; // saved per row: r, z, n, and the hidden-side n pre-activation (W_hn h + b_hn)
  const BH = B * H;
  const tAt = (s: number): number => (reverse ? T - 1 - s : s);

  let acts: Float32Array; // [T, B, 4H]
  let hs: Float32Array; // [T, B, H]
  let h0v: Float32Array;

  const forward = (save: (ts: Tensor[]) => void): Tensor[] => {
    save([x, wIh, wHh]);
    const xp = tf.tidy(() => tf.matMul(tf.reshape(x, [T * B, I]), tf.transpose(wIh))); // [T*B, 3H]
    const xpv = readF32(xp);
    xp.dispose();
    const bi = biasValues(bIh, G);
    const bh = biasValues(bHh, G);
    const wHhT = tf.transpose(wHh); // [H, 3H]
    h0v = readF32(h0);
    acts = new Float32Array(T * B * A);
    hs = new Float32Array(T * BH);
    for (let s = 0; s < T; s++) {
      const t = tAt(s);
      const tp = s === 0 ? -1 : tAt(s - 1);
      const hPrev = tp < 0 ? h0v : hs.subarray(tp * BH, (tp + 1) * BH);
      const hh = matMulValues(hPrev, B, H, wHhT); // [B, 3H]
      for (let b = 0; b < B; b++) {
        const xo = (t * B + b) * G;
        const ho = b * G;
        const ao = (t * B + b) * A;
        const so = t * BH + b * H;
        const po = b * H;
        for (let j = 0; j < H; j++) {
          const r = 1 / (1 + Math.exp(-(xpv[xo + j]! + bi[j]! + hh[ho + j]! + bh[j]!)));
          const z = 1 / (1 + Math.exp(-(xpv[xo + H + j]! + bi[H + j]! + hh[ho + H + j]! + bh[H + j]!)));
          const hn = hh[ho + 2 * H + j]! + bh[2 * H + j]!;
          const n = 2 / (1 + Math.exp(-2 * (xpv[xo + 2 * H + j]! + bi[2 * H + j]! + r * hn))) - 1;
          acts[ao + j] = r;
          acts[ao + H + j] = z;
          acts[ao + 2 * H + j] = n;
          acts[ao + 3 * H + j] = hn;
          hs[so + j] = n + z * (hPrev[po + j]! - n);
        }
      }
    }
    wHhT.dispose();
    const tl = tAt(T - 1);
    return [tensorOf(hs, [T, B, H]), tensorOf(hs.slice(tl * BH, (tl + 1) * BH), [B, H])];
  };

  const backward = (dys: Tensor[], saved: Tensor[]) => {
    const [xs, wIhS, wHhS] = saved as [Tensor, Tensor, Tensor];
    const dOut = readF32(dys[0]!);
    let dh: Float32Array = readF32(dys[1]!).slice();
    const dGi = new Float32Array(T * B * G); // [T, B, 3H] input-side pre-activation gradients
    const dGh = new Float32Array(T * B * G); // [T, B, 3H] hidden-side pre-activation gradients
    const hPrevT = new Float32Array(H * T * B); // [H, T*B]
    const direct = new Float32Array(BH); // dh' · z, the part of dh_prev that skips the matmul
    for (let s = T - 1; s >= 0; s--) {
      const t = tAt(s);
      const tp = s === 0 ? -1 : tAt(s - 1);
      const hPrev = tp < 0 ? h0v : hs.subarray(tp * BH, (tp + 1) * BH);
      for (let b = 0; b < B; b++) {
        const go = (t * B + b) * G;
        const ao = (t * B + b) * A;
        const so = t * BH + b * H;
        const po = b * H;
        const col = t * B + b;
        for (let j = 0; j < H; j++) {
          const dhv = dOut[so + j]! + dh[po + j]!;
          const r = acts[ao + j]!;
          const z = acts[ao + H + j]!;
          const n = acts[ao + 2 * H + j]!;
          const hn = acts[ao + 3 * H + j]!;
          const hp = hPrev[po + j]!;
          const dnPre = dhv * (1 - z) * (1 - n * n);
          const dzPre = dhv * (hp - n) * z * (1 - z);
          const drPre = dnPre * hn * r * (1 - r);
          dGi[go + j] = drPre;
          dGi[go + H + j] = dzPre;
          dGi[go + 2 * H + j] = dnPre;
          dGh[go + j] = drPre;
          dGh[go + H + j] = dzPre;
          dGh[go + 2 * H + j] = dnPre * r;
          direct[po + j] = dhv * z;
          hPrevT[j * T * B + col] = hp;
        }
      }
      dh = matMulValues(dGh.subarray(t * B * G, (t + 1) * B * G), B, G, wHhS); // [B, 3H]·[3H, H]
      for (let k = 0; k < BH; k++) dh[k]! += direct[k]!;
    }
    const dGit = tensorOf(dGi, [T * B, G]);
    const dGht = tensorOf(dGh, [T * B, G]);
    const grads: Record<string, () => Tensor> = {
      x: () => inputGradX(dGit, wIhS, [T, B, I]),
      h0: () => tensorOf(dh, [B, H]),
      wIh: () => inputGradW(dGit, xs),
      wHh: () => hiddenGradW(hPrevT, H, T * B, dGht),
    };
    if (bIh) grads.bIh = () => columnSums(dGi, T * B, G);
    if (bHh) grads.bHh = () => columnSums(dGh, T * B, G);
    return grads;
  };

  const [output, h] = runFused(sequenceInputs(x, h0, null, wIh, wHh, bIh, bHh), forward, backward) as [Tensor, Tensor];
  return { output, h };
}
