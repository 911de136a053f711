// Chinese text at word level: jieba splits the sentences into words, an Embedding gives each
// word a learned vector, an LSTM language model learns the text and continues a prefix.
import { init, manualSeed } from '@recurrent/core';
import { buildCorpus, sequentialBatches } from '@recurrent/datasets';
import { Generator } from '@recurrent/generate';
import { LanguageModel } from '@recurrent/layers';
import { createTokenizer } from '@recurrent/tokenizers';
import { Adam, Trainer } from '@recurrent/train';

const text = [
  '我们今天学习循环神经网络。',
  '循环神经网络一次读一个词，并且记住前面读过的内容。',
  '我们先把句子切成词，再把词变成编号，然后用嵌入层把编号变成向量。',
  '模型读到前面的词，就能猜出下一个词。',
  '我们多读几遍，模型就会记住这些句子。',
].join('\n');

export async function main(): Promise<void> {
  await init();
  manualSeed(0);

  // jieba (through WebAssembly, loaded on first use) finds the words; characters are the alternative.
  const jieba = createTokenizer({ level: 'jieba' });
  console.log((await jieba.tokenize('我们先把句子切成词，再把词变成编号。')).join(' / '));
  for (const level of ['char', 'jieba'] as const) {
    const { tokens, vocab } = await buildCorpus(text, { level });
    console.log(`${level.padEnd(5)}: ${tokens.length} tokens, vocabulary ${vocab.size}`);
  }

  // Word-level language model: ids -> Embedding(V, 32) -> LSTM(32, 64) -> Linear(64, V).
  const corpus = await buildCorpus(text, { level: 'jieba' });
  const model = new LanguageModel({ cell: 'lstm', input: 'embedding', embeddingDim: 32, vocabSize: corpus.vocab.size, hiddenSize: 64 });
  const optimizer = new Adam(model.parameters(), { lr: 0.02 });
  const trainer = new Trainer({ model, optimizer, clipNorm: 1 });
  const history = await trainer.fit({ epochs: 20, data: (_e, random) => sequentialBatches(corpus.ids, { batchSize: 2, numSteps: 10, random }) });
  for (const stats of history.filter((s) => s.epoch % 5 === 0)) console.log(`epoch ${stats.epoch}  perplexity ${stats.perplexity.toFixed(2)}`);

  const generator = new Generator({ model, vocab: corpus.vocab.toConfig(), tokenizer: { level: 'jieba', preprocess: 'none' } });
  for (const prefix of ['我们先把', '模型读到']) {
    const result = await generator.generate(prefix, { maxTokens: 12, stopTokens: ['。'] });
    console.log(`${prefix} -> ${result.text}   [${result.tokens.join(' / ')}]`);
  }

  optimizer.dispose();
  model.dispose();
}
