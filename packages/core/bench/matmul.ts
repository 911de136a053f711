// Matmul throughput on the wasm backend, stock kernels against Recurrent's fixes, for every
// transpose combination. Run: see bench/README.md.
import { init, tf } from '@recurrent/core';
import { registerWasmFixes, unregisterWasmFixes } from '@recurrent/core/tuning';
import { fmt, medianMsBudget } from './timing';

const info = await init();
console.log(`backend ${info.backend}, simd ${info.simd}, threads ${info.threads}`);

// [label, batch, M, K, N]: the big square, then LSTM(256) shapes: the gate product of a step
// (concatenated [x, h] against the packed weights), and the input projection of a 35-step sequence.
const shapes: Array<[string, number, number, number, number]> = [
  ['1024^3', 1, 1024, 1024, 1024],
  ['gates [32,512]x[512,1024]', 1, 32, 512, 1024],
  ['step [32,256]x[256,1024]', 1, 32, 256, 1024],
  ['seq [1120,256]x[256,1024]', 1, 1120, 256, 1024],
  ['batched 8x[128,128]x[128,128]', 8, 128, 128, 128],
];
const combos: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

console.log(
  `${'shape'.padEnd(32)} ${'tA/tB'.padEnd(6)} ${'stock ms'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'fixed ms'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'speedup'.padStart(8)}`,
);
for (const [label, batch, m, k, n] of shapes) {
  const flops = 2 * batch * m * k * n;
  for (const [tA, tB] of combos) {
    const pre = batch === 1 ? [] : [batch];
    const a = tf.randomNormal(tA ? [...pre, k, m] : [...pre, m, k]);
    const b = tf.randomNormal(tB ? [...pre, n, k] : [...pre, k, n]);
    const time = () => medianMsBudget(() => tf.matMul(a, b, tA, tB).dispose());
    unregisterWasmFixes();
    const stock = await time();
    registerWasmFixes();
    const fixed = await time();
    tf.dispose([a, b]);
    const g = (ms: number) => flops / ms / 1e6;
    console.log(
      `${label.padEnd(32)} ${`${tA ? 'T' : 'N'}/${tB ? 'T' : 'N'}`.padEnd(6)} ${fmt(stock, 3)}  ${fmt(g(stock))} ${fmt(fixed, 3)}  ${fmt(g(fixed))} ${fmt(stock / fixed, 1)}x`,
    );
  }
}
