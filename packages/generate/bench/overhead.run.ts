// Generator loop overhead without a model (a stub whose step returns fixed logits): the upper
// bound on tokens/s that decoding itself allows. Run: npx vitest run -c packages/generate/bench/vitest.config.ts overhead
import { it } from 'vitest';
import { init, tf, type Tensor } from '@recurrent/core';
import type { RecurrentState } from '@recurrent/layers';
import { Generator, type GenerationModel } from '../src/index';

const V = 28;
class StubModel implements GenerationModel {
  readonly config = { vocabSize: V };
  beginState(b: number): RecurrentState {
    return { h: tf.zeros([1, b, 4]), c: tf.zeros([1, b, 4]) };
  }
  step(ids: Tensor, state: RecurrentState): { logits: Tensor; state: RecurrentState } {
    const B = ids.shape[0]!;
    return { logits: tf.randomUniform([B, V]), state: { h: tf.clone(state.h), c: tf.clone(state.c!) } };
  }
  forward(ids: Tensor, state?: RecurrentState): { logits: Tensor; state: RecurrentState } {
    const [B, T] = ids.shape as [number, number];
    const s = state ?? this.beginState(B);
    return { logits: tf.zeros([B, T, V]), state: { h: tf.clone(s.h), c: tf.clone(s.c!) } };
  }
}

it('generator overhead', async () => {
  await init();
  const vocab = { tokens: Array.from({ length: V }, (_, i) => (i === 0 ? '<unk>' : String.fromCharCode(96 + i))), unk: '<unk>' };
  const gen = new Generator({ model: new StubModel(), vocab });
  for (const [label, opts] of [
    ['greedy', {}],
    ['sample t=0.8 top-k 5 top-p 0.9', { temperature: 0.8, topK: 5, topP: 0.9, seed: 1 }],
  ] as const) {
    await gen.generate('abc', { maxTokens: 200, ...opts });
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await gen.generate('abc', { maxTokens: 5000, ...opts });
    const cpu = process.cpuUsage(c0);
    console.log(
      `${label}: ${(r.ids.length / ((performance.now() - t0) / 1000)).toFixed(0)} tokens/s with a stub model (${(r.ids.length / ((cpu.user + cpu.system) / 1e6)).toFixed(0)} per CPU-second)`,
    );
  }
});
