// minGPT's three-level parity on the PyTorch checkpoint tm-lstm-onehot, through the real
// loading path (readModelCheckpoint -> LanguageModel -> Generator): logits, greedy ids/text,
// and (when ../shared/data/timemachine.txt is beside the repo) the eval perplexity.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, init, memorySnapshot } from '@recurrent/core';
import { tokenizeText } from '@recurrent/tokenizers';
import { generatorFromCheckpointFiles, type LoadedGenerator } from '../src/index';
import { loadGenerator } from '../src/node';
import { TM_DIR, readExpected } from './fixture';
import { sequentialPerplexity } from './perplexity';

const corpus = fileURLToPath(new URL('../../../../shared/data/timemachine.txt', import.meta.url));
const hasCorpus = existsSync(corpus);
// The same check on text that ships with the tests runs always (apps/demo's eval.test.ts).
if (!hasCorpus) console.warn(`skipped: the Time Machine perplexity of tm-lstm-onehot needs ${corpus} (outside the repository; ../shared/data in this workspace)`);

let loaded: LoadedGenerator;
beforeAll(async () => {
  await init();
  loaded = await loadGenerator(TM_DIR);
});
afterAll(() => loaded.dispose());

describe('tm-lstm-onehot (PyTorch) through readModelCheckpoint + LanguageModel', () => {
  it('greedy text equals expected.json exactly for every prefix', async () => {
    for (const g of readExpected().greedy) {
      const r = await loaded.generator.generate(g.prefix, { maxTokens: g.numTokens });
      expect(r.text).toBe(g.text);
    }
  });

  it('first-step logits within 1e-4', async () => {
    const { prefix, firstStep } = readExpected().logits;
    const got = await loaded.generator.firstStepLogits(prefix);
    const diff = Math.max(...firstStep.map((v, i) => Math.abs(v - got[i]!)));
    expect(diff).toBeLessThan(1e-4);
  });

  it('loads from the files alone (the browser path) with the same numbers', async () => {
    const fromFiles = generatorFromCheckpointFiles(readFileSync(join(TM_DIR, 'config.json'), 'utf8'), new Uint8Array(readFileSync(join(TM_DIR, 'model.safetensors'))));
    const { prefix } = readExpected().logits;
    expect(Array.from(await fromFiles.generator.firstStepLogits(prefix))).toEqual(Array.from(await loaded.generator.firstStepLogits(prefix)));
    fromFiles.dispose();
  });

  it('refuses a checkpoint whose config does not match its weights, naming the tensor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recurrent-mismatch-'));
    try {
      cpSync(TM_DIR, dir, { recursive: true });
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, hiddenSize: 256 }));
      const before = memorySnapshot().numTensors;
      await expect(loadGenerator(dir)).rejects.toThrow(CheckpointError);
      await expect(loadGenerator(dir)).rejects.toThrow(/tensor 'rnn.weight_ih_l0' has shape \[512, 28\] but the config .* needs \[1024, 28\]/);
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, cell: 'gru' }));
      await expect(loadGenerator(dir)).rejects.toThrow(/tensor 'rnn.weight_ih_l0' has shape \[512, 28\] .* needs \[384, 28\]/);
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, vocab: { tokens: config.vocab.tokens.slice(0, 27), unk: '<unk>' } }));
      await expect(loadGenerator(dir)).rejects.toThrow(/tensor 'rnn.weight_ih_l0' has shape \[512, 28\] .* needs \[512, 27\]/);
      expect(memorySnapshot().numTensors).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no tensor leak over 1,000 generated tokens', async () => {
    await loaded.generator.generate('time traveller', { maxTokens: 5, temperature: 0.8, seed: 1 }); // warm caches
    const before = memorySnapshot();
    const r = await loaded.generator.generate('time traveller', { maxTokens: 1000, temperature: 0.8, topK: 5, topP: 0.9, repetitionPenalty: 1.1, seed: 1 });
    expect(r.ids.length).toBe(1000);
    const after = memorySnapshot();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });

  it.runIf(hasCorpus)('eval perplexity on timemachine (d2l, char, B=32, T=35) within 1e-3 relative', () => {
    const { eval: ev } = readExpected();
    const tokens = tokenizeText(readFileSync(corpus, 'utf8'), 'char', 'd2l');
    expect(tokens.length).toBe(170_580);
    const index = new Map(loaded.config.vocab.tokens.map((t, i) => [t, i]));
    const ids = Int32Array.from(tokens, (t) => index.get(t) ?? 0);
    const { perplexity, targets } = sequentialPerplexity(loaded.model, ids, ev.batchSize, ev.numSteps);
    expect(targets).toBe(170_240);
    expect(Math.abs(perplexity - ev.perplexity) / ev.perplexity).toBeLessThan(1e-3);
  });
});
