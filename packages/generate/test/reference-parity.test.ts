// Parity of the generator's decoding with PyTorch on the tm-lstm-onehot checkpoint, driving the
// composed reference model (so it checks the decoding itself, whatever model class runs it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '@recurrent/core';
import { Generator } from '../src/index';
import { readConfig, readExpected, referenceFromFixture } from './fixture';
import type { ReferenceLM } from './reference-lm';

let model: ReferenceLM;
let gen: Generator;

beforeAll(async () => {
  await init();
  model = referenceFromFixture();
  const config = readConfig();
  gen = new Generator({ model, vocab: config.vocab, tokenizer: config.tokenizer });
});
afterAll(() => model.dispose());

describe('generator on the composed reference model vs PyTorch', () => {
  it('greedy text equals expected.json for every prefix', async () => {
    for (const g of readExpected().greedy) {
      const r = await gen.generate(g.prefix, { maxTokens: g.numTokens });
      expect(r.text).toBe(g.text);
      expect(r.ids.length).toBe(g.numTokens);
    }
  });

  it('first-step logits within 1e-4', async () => {
    const { prefix, firstStep } = readExpected().logits;
    const got = await gen.firstStepLogits(prefix);
    expect(got.length).toBe(firstStep.length);
    const diff = Math.max(...firstStep.map((v, i) => Math.abs(v - got[i]!)));
    expect(diff).toBeLessThan(1e-4);
  });
});
