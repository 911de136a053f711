// Whole-sequence LSTM with a hand-written backward through time (the training fast path).
// Forward: all input projections in one matmul, then per step one [B, H]·[H, 4H] matmul and
// the gate math in plain JS on typed arrays (double precision, no per-step tensor ops).
// Backward: per step the gate gradients in JS and one [B, 4H]·[4H, H] matmul; the weight
// gradients once per sequence as single matmuls over all steps.
import { tf, type Tensor } from '../backend/tf';
import { biasValues, columnSums, hiddenGradW, inputGradW, inputGradX, matMulValues, readF32, runFused, tensorOf } from './fused-kernel';
import { checkSequenceArgs, sequenceInputs, type SequenceOptions } from './sequence-args';

/** Output sequence and final states of `lstmSequence`. */
export type LstmSequenceResult = {
  output: Tensor; // [T, B, H]
  h: Tensor; // [B, H]
  c: Tensor; // [B, H]
};

/**
 * Runs an LSTM layer (one direction) over a whole sequence; differentiable w.r.t. every input.
 * x [T, B, I], h0 and c0 [B, H], wIh [4H, I], wHh [4H, H], biases [4H] or null (gates i, f, g, o).
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
  const { T, B, I, H } = checkSequenceArgs('lstmSequence', 4, x, h0, c0, wIh, wHh, bIh, bHh);
  const reverse = options.reverse ?? false;
  const G = 4 * H;
  const BH = B * H;
  const BG = B * G;
  const tAt = (s: number): number => (reverse ? T - 1 - s : s);

  let acts: Float32Array; // [T, B, 4H] sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
  let cs: Float32Array; // [T, B, H] cell states
  let tcs: Float32Array; // [T, B, H] tanh(c)
  let hs: Float32Array; // [T, B, H] hidden states (the output)
  let h0v: Float32Array;
  let c0v: Float32Array;

  const forward = (save: (ts: Tensor[]) => void): Tensor[] => {
    save([x, wIh, wHh]);
    const xp = tf.tidy(() => tf.matMul(tf.reshape(x, [T * B, I]), tf.transpose(wIh))); // [T*B, 4H]
    const xpv = readF32(xp);
    xp.dispose();
    const bias = biasValues(bIh, G);
    const bh = biasValues(bHh, G);
    for (let j = 0; j < G; j++) bias[j]! += bh[j]!;
    const wHhT = tf.transpose(wHh); // [H, 4H]
    h0v = readF32(h0);
    c0v = readF32(c0);
    acts = new Float32Array(T * BG);
    cs = new Float32Array(T * BH);
    tcs = new Float32Array(T * BH);
    hs = new Float32Array(T * BH);
    for (let s = 0; s < T; s++) {
      const t = tAt(s);
      const tp = s === 0 ? -1 : tAt(s - 1);
      const hPrev = tp < 0 ? h0v : hs.subarray(tp * BH, (tp + 1) * BH);
      const cPrev = tp < 0 ? c0v : cs.subarray(tp * BH, (tp + 1) * BH);
      const hh = matMulValues(hPrev, B, H, wHhT); // [B, 4H]
      for (let b = 0; b < B; b++) {
        const go = (t * B + b) * G;
        const ho = b * G;
        const so = t * BH + b * H;
        const po = b * H;
        for (let j = 0; j < H; j++) {
          const zi = xpv[go + j]! + hh[ho + j]! + bias[j]!;
          const zf = xpv[go + H + j]! + hh[ho + H + j]! + bias[H + j]!;
          const zg = xpv[go + 2 * H + j]! + hh[ho + 2 * H + j]! + bias[2 * H + j]!;
          const zo = xpv[go + 3 * H + j]! + hh[ho + 3 * H + j]! + bias[3 * H + j]!;
          const i = 1 / (1 + Math.exp(-zi));
          const f = 1 / (1 + Math.exp(-zf));
          const g = 2 / (1 + Math.exp(-2 * zg)) - 1;
          const o = 1 / (1 + Math.exp(-zo));
          const c = f * cPrev[po + j]! + i * g;
          const tc = 2 / (1 + Math.exp(-2 * c)) - 1;
          acts[go + j] = i;
          acts[go + H + j] = f;
          acts[go + 2 * H + j] = g;
          acts[go + 3 * H + j] = o;
          cs[so + j] = c;
          tcs[so + j] = tc;
          hs[so + j] = o * tc;
        }
      }
    }
    wHhT.dispose();
    const tl = tAt(T - 1);
    return [
      tensorOf(hs, [T, B, H]),
      tensorOf(hs.slice(tl * BH, (tl + 1) * BH), [B, H]),
      tensorOf(cs.slice(tl * BH, (tl + 1) * BH), [B, H]),
    ];
  };

  const backward = (dys: Tensor[], saved: Tensor[]) => {
    const [xs, wIhS, wHhS] = saved as [Tensor, Tensor, Tensor];
    const dOut = readF32(dys[0]!);
    let dh: Float32Array = readF32(dys[1]!).slice();
    const dc = readF32(dys[2]!).slice();
    const dG = new Float32Array(T * BG); // [T, B, 4H] pre-activation gradients
    const hPrevT = new Float32Array(H * T * B); // [H, T*B] previous hidden state per step
    for (let s = T - 1; s >= 0; s--) {
      const t = tAt(s);
      const tp = s === 0 ? -1 : tAt(s - 1);
      const cPrev = tp < 0 ? c0v : cs.subarray(tp * BH, (tp + 1) * BH);
      const hPrev = tp < 0 ? h0v : hs.subarray(tp * BH, (tp + 1) * BH);
      for (let b = 0; b < B; b++) {
        const go = (t * B + b) * G;
        const so = t * BH + b * H;
        const po = b * H;
        const col = t * B + b;
        for (let j = 0; j < H; j++) {
          const dhv = dOut[so + j]! + dh[po + j]!;
          const i = acts[go + j]!;
          const f = acts[go + H + j]!;
          const g = acts[go + 2 * H + j]!;
          const o = acts[go + 3 * H + j]!;
          const tc = tcs[so + j]!;
          const dct = dc[po + j]! + dhv * o * (1 - tc * tc);
          dG[go + j] = dct * g * i * (1 - i);
          dG[go + H + j] = dct * cPrev[po + j]! * f * (1 - f);
          dG[go + 2 * H + j] = dct * i * (1 - g * g);
          dG[go + 3 * H + j] = dhv * tc * o * (1 - o);
          dc[po + j] = dct * f;
          hPrevT[j * T * B + col] = hPrev[po + j]!;
        }
      }
      dh = matMulValues(dG.subarray(t * BG, (t + 1) * BG), B, G, wHhS); // [B, 4H]·[4H, H]
    }
    const dGt = tensorOf(dG, [T * B, G]);
    const grads: Record<string, () => Tensor> = {
      x: () => inputGradX(dGt, wIhS, [T, B, I]),
      h0: () => tensorOf(dh, [B, H]),
      c0: () => tensorOf(dc, [B, H]),
      wIh: () => inputGradW(dGt, xs),
      wHh: () => hiddenGradW(hPrevT, H, T * B, dGt),
    };
    if (bIh) grads.bIh = () => columnSums(dG, T * B, G);
    if (bHh) grads.bHh = () => columnSums(dG, T * B, G);
    return grads;
  };

  const [output, h, c] = runFused(sequenceInputs(x, h0, c0, wIh, wHh, bIh, bHh), forward, backward) as [Tensor, Tensor, Tensor];
  return { output, h, c };
}
