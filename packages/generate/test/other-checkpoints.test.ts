// "The same must hold for any other checkpoint in that format": checkpoints with other cells,
// embedding input and several layers, written as PyTorch would (safetensors of the state dict +
// config.json), loaded through loadGenerator (LanguageModel), against the composed reference
// model on the same weights (the README's equations, step by step).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSafetensors, init } from '@recurrent/core';
import { Generator } from '../src/index';
import { loadGenerator } from '../src/node';
import { ReferenceLM, type ReferenceConfig } from './reference-lm';

const tokens = ['<unk>', ' ', 'e', 't', 'a', 'i', 'n', 'o', 's', 'h', 'r', 'd'];
let root: string;
beforeAll(async () => {
  await init();
  root = mkdtempSync(join(tmpdir(), 'recurrent-other-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cases: (ReferenceConfig & { embeddingDim?: number })[] = [
  { cell: 'gru', input: 'one-hot', vocabSize: tokens.length, hiddenSize: 24, numLayers: 1 },
  { cell: 'rnn', input: 'embedding', vocabSize: tokens.length, hiddenSize: 20, numLayers: 2, embeddingDim: 6 },
  { cell: 'lstm', input: 'embedding', vocabSize: tokens.length, hiddenSize: 16, numLayers: 2, embeddingDim: 5 },
];

describe('other checkpoints in the recurrent-lm/1 format', () => {
  for (const c of cases) {
    it(`${c.cell}, ${c.input}, ${c.numLayers} layer(s): same logits and greedy text as the reference equations`, async () => {
      const ref = ReferenceLM.random(c, 11, 0.6, c.embeddingDim ?? 8);
      const dir = join(root, `${c.cell}-${c.input}-${c.numLayers}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(ref.weights));
      writeFileSync(
        join(dir, 'config.json'),
        JSON.stringify({
          format: 'recurrent-lm/1',
          cell: c.cell,
          nonlinearity: 'tanh',
          input: c.input,
          embeddingDim: c.input === 'embedding' ? c.embeddingDim : null,
          hiddenSize: c.hiddenSize,
          numLayers: c.numLayers,
          bidirectional: false,
          dropout: 0,
          tokenizer: { level: 'char', preprocess: 'd2l' },
          vocab: { tokens, unk: '<unk>' },
        }),
      );
      const loaded = await loadGenerator(dir);
      const reference = new Generator({ model: ref, vocab: { tokens, unk: '<unk>' } });
      for (const prefix of ['the', 'time traveller', 'a']) {
        const a = await loaded.generator.firstStepLogits(prefix);
        const b = await reference.firstStepLogits(prefix);
        const diff = Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
        expect(diff).toBeLessThan(1e-5);
        const ga = await loaded.generator.generate(prefix, { maxTokens: 30 });
        const gb = await reference.generate(prefix, { maxTokens: 30 });
        expect(ga.text).toBe(gb.text);
      }
      loaded.dispose();
      ref.dispose();
    });
  }
});
