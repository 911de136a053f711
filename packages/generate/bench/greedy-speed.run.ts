// Benchmark (not a test): batch-1 greedy generation tokens/s for an LSTM(256), through
// Generator + LanguageModel.step (the fast path) against the composed per-op baseline (the
// README equations with core's per-op cell step, one token at a time).
// Run: npx vitest run -c packages/generate/bench/vitest.config.ts greedy-speed
import { it } from 'vitest';
import { Random, init } from '@recurrent/core';
import { registerWasmFixes, unregisterWasmFixes } from '@recurrent/core/tuning';
import { LanguageModel } from '@recurrent/layers';
import { Generator } from '../src/index';
import { ReferenceLM } from '../test/reference-lm';

const V = 28;
const H = Number(process.env.BENCH_HIDDEN ?? 256);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 300);
const vocab = { tokens: Array.from({ length: V }, (_, i) => (i === 0 ? '<unk>' : String.fromCharCode(96 + i))), unk: '<unk>' };

/** Tokens per wall-clock second, and per second of this process's CPU time (steadier on a busy machine). */
const cpuRates: number[] = [];
async function tokensPerSecond(gen: Generator, runs = 3): Promise<number[]> {
  await gen.generate('abc', { maxTokens: 20 }); // warm-up
  const rates: number[] = [];
  cpuRates.length = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const out = await gen.generate('abc', { maxTokens: TOKENS });
    const cpu = process.cpuUsage(c0);
    rates.push(out.ids.length / ((performance.now() - t0) / 1000));
    cpuRates.push(out.ids.length / ((cpu.user + cpu.system) / 1e6));
  }
  cpuRates.sort((a, b) => a - b);
  return rates.sort((a, b) => a - b);
}

it('greedy tokens/s, LSTM(256), batch 1', async () => {
  const info = await init();
  const fast = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: V, hiddenSize: H, random: new Random(0) });
  fast.eval();
  const composed = ReferenceLM.random({ cell: 'lstm', input: 'one-hot', vocabSize: V, hiddenSize: H, numLayers: 1 });
  const med = (x: number[]) => x[Math.floor(x.length / 2)]!;
  const a = await tokensPerSecond(new Generator({ model: fast, vocab }));
  const aCpu = med(cpuRates);
  const b = await tokensPerSecond(new Generator({ model: composed, vocab }));
  const bCpu = med(cpuRates);
  console.log(`backend ${info.backend} simd ${info.simd}; LSTM(${H}), V=${V}, ${TOKENS} tokens per run, median of 3`);
  console.log(`LanguageModel.step (Generator): ${med(a).toFixed(0)} tokens/s  [${a.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`composed per-op baseline      : ${med(b).toFixed(0)} tokens/s  [${b.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`ratio ${(med(a) / med(b)).toFixed(2)}x; per CPU-second: ${aCpu.toFixed(0)} vs ${bCpu.toFixed(0)} tokens/s (${(aCpu / bCpu).toFixed(2)}x)`);
  // The same with tfjs-backend-wasm's stock kernels (core's matmul/slice wrappers removed).
  unregisterWasmFixes();
  const c = await tokensPerSecond(new Generator({ model: fast, vocab }));
  const d = await tokensPerSecond(new Generator({ model: composed, vocab }));
  registerWasmFixes();
  console.log(`stock wasm kernels: LanguageModel.step ${med(c).toFixed(0)} tokens/s, composed ${med(d).toFixed(0)} tokens/s`);
  fast.dispose();
  composed.dispose();
});
