// The model side of the example, platform-neutral: the page's Web Worker (worker.js) calls it,
// and the same module runs in Node. It uses the main entry of each of the six packages, which
// bundle for a browser with no configuration.
import { init, manualSeed } from '@recurrent/core';
import { ngramCounts } from '@recurrent/tokenizers';
import { buildCorpus, loadMobyDick, sequentialBatches } from '@recurrent/datasets';
import { LanguageModel } from '@recurrent/layers';
import { Adam, Trainer } from '@recurrent/train';
import { Generator, fetchGenerator } from '@recurrent/generate';

const TOKENIZER = { level: 'char', preprocess: 'd2l' };

/** Starts the WebAssembly backend: `{ backend, simd, threads, binary, fallback }`. */
export function startBackend() {
  return init();
}

/**
 * The first `chars` characters of Moby-Dick (it ships in a registry package, no download) as a
 * character corpus, and its most frequent character pairs.
 */
export async function mobyDickCorpus(chars = 30_000) {
  const text = (await loadMobyDick()).slice(0, chars);
  const corpus = await buildCorpus(text, TOKENIZER);
  const pairs = ngramCounts(corpus.tokens, 2).slice(0, 5).map(({ ngram, count }) => `"${ngram.join('')}" ${count}`);
  return { corpus, summary: `${corpus.tokens.length} characters, vocabulary ${corpus.vocab.size}; frequent pairs ${pairs.join(', ')}` };
}

/**
 * Trains a small character LSTM on `corpus` (sequential batches with the state carried, as d2l;
 * Adam rather than d2l's SGD, which needs many more epochs before it writes words) and returns a
 * generator for it. `onEpoch({ epoch, loss, perplexity, seconds })` runs after each epoch;
 * `dispose()` frees the model. The defaults take a few seconds on one core.
 */
export async function trainModel(corpus, { hiddenSize = 128, epochs = 5, lr = 0.01, onEpoch } = {}) {
  manualSeed(0);
  const model = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: corpus.vocab.size, hiddenSize });
  const report = { onEpochEnd: ({ epoch, loss, perplexity, seconds }) => onEpoch?.({ epoch, loss, perplexity, seconds }) };
  const optimizer = new Adam(model.parameters(), { lr });
  const trainer = new Trainer({ model, optimizer, clipNorm: 1, callbacks: [report] });
  await trainer.fit({
    epochs,
    data: (_epoch, random) => sequentialBatches(corpus.ids, { batchSize: 32, numSteps: 35, random }),
  });
  const generator = new Generator({ model: model.eval(), vocab: corpus.vocab.toConfig(), tokenizer: TOKENIZER });
  optimizer.dispose(); // Adam's moment estimates: not needed to generate
  return { generator, history: trainer.history, dispose: () => model.dispose() };
}

/** A checkpoint directory served over HTTP (`<url>/config.json`, `<url>/model.safetensors`). */
export function loadCheckpoint(url, options) {
  return fetchGenerator(url, options);
}

/** The prefix followed by `maxTokens` greedily generated tokens. */
export async function complete(generator, prefix, maxTokens = 40) {
  return (await generator.generate(prefix, { maxTokens, strategy: 'greedy' })).text;
}
