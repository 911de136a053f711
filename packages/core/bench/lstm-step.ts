// Per-step time of an LSTM(256) step, batch 32, forward + backward, written with composed tfjs
// ops and tf.grads (the gate product is [32, 256 + H] x [256 + H, 4H] with H = 256), on the wasm
// backend with the stock kernels (BEFORE) and with Recurrent's kernel fixes (AFTER). Also a
// 35-step sequence cut with unstack, which exercises the slicing fix. Run: see bench/README.md.
import { init, tf, type Tensor } from '@recurrent/core';
import { registerWasmFixes, unregisterWasmFixes } from '@recurrent/core/tuning';
import { compare, fmt } from './timing';

const B = 32;
const I = 256;
const H = 256;
const T = 35;
const RUNS = Number(process.env.RUNS ?? 30);

const info = await init();
console.log(
  `backend ${info.backend}, simd ${info.simd}, threads ${info.threads}; B=${B}, input ${I}, H=${H}, median of ${RUNS} runs`,
);

const W = tf.variable(tf.randomUniform([I + H, 4 * H], -0.0625, 0.0625)); // [I+H, 4H]
const bias = tf.variable(tf.zeros([4 * H])); // [4H]

/** One step: returns h', c'. */
function step(x: Tensor, h: Tensor, c: Tensor, w: Tensor, b: Tensor): [Tensor, Tensor] {
  const gates = tf.add(tf.matMul(tf.concat([x, h], 1), w), b); // [B, 4H]
  const [i, f, g, o] = tf.split(gates, 4, 1); // each [B, H]
  const c2 = tf.add(tf.mul(tf.sigmoid(f!), c), tf.mul(tf.sigmoid(i!), tf.tanh(g!))); // [B, H]
  const h2 = tf.mul(tf.sigmoid(o!), tf.tanh(c2)); // [B, H]
  return [h2, c2];
}

const x = tf.randomNormal([B, I]);
const h0 = tf.randomNormal([B, H]);
const c0 = tf.randomNormal([B, H]);
const up = tf.randomNormal([B, H]);
const xs = tf.randomNormal([T, B, I]); // [T, B, I]

/** Forward + backward of one step: gradients for x, h, c, W, b. */
function stepFwdBwd(): void {
  const grads = tf.grads((xx: Tensor, hh: Tensor, cc: Tensor, ww: Tensor, bb: Tensor) => {
    const [h2, c2] = step(xx, hh, cc, ww, bb);
    return tf.add(tf.sum(tf.mul(h2, up)), tf.sum(c2));
  });
  tf.dispose(grads([x, h0, c0, W, bias]));
}

/** Forward + backward over a 35-step sequence cut with unstack (grads for xs, W, b). */
function seqFwdBwd(): void {
  const grads = tf.grads((seq: Tensor, ww: Tensor, bb: Tensor) => {
    let h = h0;
    let c = c0;
    let loss = tf.scalar(0);
    for (const xt of tf.unstack(seq)) {
      [h, c] = step(xt, h, c, ww, bb);
      loss = tf.add(loss, tf.sum(tf.mul(h, up)));
    }
    return loss;
  });
  tf.dispose(grads([xs, W, bias]));
}

/** Forward only, one step (as in generation). */
function stepFwd(): void {
  tf.tidy(() => step(x, h0, c0, W, bias)[0].dataSync());
}

const flopsStep = 2 * B * (I + H) * 4 * H; // the gate product; its backward is two more of these
const setFixes = (v: number): void => (v === 0 ? unregisterWasmFixes() : registerWasmFixes());
const fwd = await compare(2, setFixes, stepFwd, RUNS);
const fb = await compare(2, setFixes, stepFwdBwd, RUNS);
const seq = await compare(2, setFixes, seqFwdBwd, Math.max(2, Math.round(RUNS / 10)), 2);
registerWasmFixes();

const gflops = (ms: number) => (3 * flopsStep) / ms / 1e6;
console.log('                       BEFORE (stock kernels)    AFTER (fixes)         speedup');
const row = (label: string, c: { median: number[]; min: number[] }, per = 1) =>
  console.log(
    `${label.padEnd(22)} ${fmt(c.median[0]! / per, 3)} ms (min ${fmt(c.min[0]! / per, 3)})  ${fmt(c.median[1]! / per, 3)} ms (min ${fmt(c.min[1]! / per, 3)})  ${fmt(c.median[0]! / c.median[1]!, 2)}x`,
  );
row('step forward', fwd);
row('step forward+backward', fb);
row(`${T}-step seq, per step`, seq, T);
console.log(
  `gate products in a step's forward+backward (3 x ${(flopsStep / 1e6).toFixed(1)} MFLOP): BEFORE ${gflops(fb.median[0]!).toFixed(2)} GFLOP/s, AFTER ${gflops(fb.median[1]!).toFixed(2)} GFLOP/s (whole step time, so a lower bound)`,
);
tf.dispose([W, bias, x, h0, c0, up, xs]);
