// Whole-sequence Elman RNN (tanh or relu) with a hand-written backward through time.
import { tf, type Tensor } from '../backend/tf';
import type { RnnNonlinearity } from './cell-step';
import type { SequenceResult } from './composed-sequence';
import { biasValues, columnSums, hiddenGradW, inputGradW, inputGradX, matMulValues, readF32, runFused, tensorOf } from './fused-kernel';
import { checkSequenceArgs, sequenceInputs, type SequenceOptions } from './sequence-args';
import { checkOneOf } from '../validate';

/** Options of `rnnSequence`. */
export interface RnnSequenceOptions extends SequenceOptions {
  nonlinearity?: RnnNonlinearity;
}

/**
 * Runs a plain RNN layer (one direction) over a whole sequence: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.
 * x [T, B, I], h0 [B, H], wIh [H, I], wHh [H, H], biases [H] or null. Differentiable w.r.t. every input.
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
  const { T, B, I, H } = checkSequenceArgs('rnnSequence', 1, x, h0, null, wIh, wHh, bIh, bHh);
  const relu = checkOneOf('rnnSequence', 'options.nonlinearity', options.nonlinearity ?? 'tanh', ['tanh', 'relu'] as const) === 'relu';
  const reverse = options.reverse ?? false;
  const BH = B * H;
  const tAt = (s: number): number => (reverse ? T - 1 - s : s);

  let hs: Float32Array; // [T, B, H]
  let h0v: Float32Array;

  const forward = (save: (ts: Tensor[]) => void): Tensor[] => {
    save([x, wIh, wHh]);
    const xp = tf.tidy(() => tf.matMul(tf.reshape(x, [T * B, I]), tf.transpose(wIh))); // [T*B, H]
    const xpv = readF32(xp);
    xp.dispose();
    const bias = biasValues(bIh, H);
    const bh = biasValues(bHh, H);
    for (let j = 0; j < H; j++) bias[j]! += bh[j]!;
    const wHhT = tf.transpose(wHh); // [H, H]
    h0v = readF32(h0);
    hs = new Float32Array(T * BH);
    for (let s = 0; s < T; s++) {
      const t = tAt(s);
      const tp = s === 0 ? -1 : tAt(s - 1);
      const hPrev = tp < 0 ? h0v : hs.subarray(tp * BH, (tp + 1) * BH);
      const hh = matMulValues(hPrev, B, H, wHhT); // [B, H]
      const so = t * BH;
      for (let k = 0; k < BH; k++) {
        const z = xpv[so + k]! + hh[k]! + bias[k % H]!;
        hs[so + k] = relu ? (z > 0 ? z : 0) : 2 / (1 + Math.exp(-2 * z)) - 1;
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
    const dG = new Float32Array(T * BH); // [T, B, H] pre-activation gradients
    const hPrevT = new Float32Array(H * T * B); // [H, T*B]
    for (let s = T - 1; s >= 0; s--) {
      const t = tAt(s);
      const tp = s === 0 ? -1 : tAt(s - 1);
      const hPrev = tp < 0 ? h0v : hs.subarray(tp * BH, (tp + 1) * BH);
      const so = t * BH;
      for (let b = 0; b < B; b++) {
        const po = b * H;
        const col = t * B + b;
        for (let j = 0; j < H; j++) {
          const k = po + j;
          const y = hs[so + k]!;
          const dhv = dOut[so + k]! + dh[k]!;
          dG[so + k] = relu ? (y > 0 ? dhv : 0) : dhv * (1 - y * y);
          hPrevT[j * T * B + col] = hPrev[k]!;
        }
      }
      dh = matMulValues(dG.subarray(so, so + BH), B, H, wHhS); // [B, H]·[H, H]
    }
    const dGt = tensorOf(dG, [T * B, H]);
    const grads: Record<string, () => Tensor> = {
      x: () => inputGradX(dGt, wIhS, [T, B, I]),
      h0: () => tensorOf(dh, [B, H]),
      wIh: () => inputGradW(dGt, xs),
      wHh: () => hiddenGradW(hPrevT, H, T * B, dGt),
    };
    if (bIh) grads.bIh = () => columnSums(dG, T * B, H);
    if (bHh) grads.bHh = () => columnSums(dG, T * B, H);
    return grads;
  };

  const [output, h] = runFused(sequenceInputs(x, h0, null, wIh, wHh, bIh, bHh), forward, backward) as [Tensor, Tensor];
  return { output, h };
}
