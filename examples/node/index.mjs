import { init, manualSeed } from '@recurrent/core';
import { buildCorpus, loadMobyDick, sequentialBatches } from '@recurrent/datasets';
import { LanguageModel } from '@recurrent/layers';
import { Adam, Trainer } from '@recurrent/train';
import { Generator } from '@recurrent/generate';

await init(); // the WASM backend with SIMD
manualSeed(0);
const text = (await loadMobyDick()).slice(0, 200_000); // a corpus that ships in a registry package
const corpus = await buildCorpus(text, { level: 'char', preprocess: 'd2l' });
const model = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: corpus.vocab.size, hiddenSize: 128 });
const optimizer = new Adam(model.parameters(), { lr: 0.01 });
const trainer = new Trainer({ model, optimizer, clipNorm: 1 });
await trainer.fit({
  epochs: 3,
  data: (_epoch, random) => sequentialBatches(corpus.ids, { batchSize: 32, numSteps: 35, random }),
});
console.log(trainer.history.map((e) => e.perplexity.toFixed(2)).join(' -> ')); // 9.83 -> 6.24 -> 5.45
const generator = new Generator({ model: model.eval(), vocab: corpus.vocab.toConfig(), tokenizer: { level: 'char', preprocess: 'd2l' } });
console.log((await generator.generate('the whale', { maxTokens: 40 })).text); // the whale and the part of the sail and the part o
model.dispose();
optimizer.dispose();
