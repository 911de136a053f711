// d2l's character language model ("The Time Machine" chapter) end to end: corpus -> vocabulary
// -> sequential minibatches -> RNN with one-hot input -> SGD with gradient clipping ->
// perplexity per epoch -> greedy continuation of a prefix. A short run on a 20,000-character
// slice of a book that ships offline; d2l trains 500 epochs on the whole book.
import { init, manualSeed } from '@recurrent/core';
import { buildCorpus, loadMobyDick, sequentialBatches } from '@recurrent/datasets';
import { Generator } from '@recurrent/generate';
import { LanguageModel } from '@recurrent/layers';
import { SGD, Trainer, evaluate } from '@recurrent/train';

export async function main(): Promise<void> {
  await init();
  manualSeed(0);

  // With network access, `loadCorpusTimeMachine({ level: 'char' })` gives d2l's exact corpus
  // (170,580 characters, vocabulary 28). Moby-Dick is loaded from an npm package, offline.
  const book = await loadMobyDick();
  const text = book.slice(book.indexOf('Call me Ishmael'), book.indexOf('Call me Ishmael') + 20_000);
  const corpus = await buildCorpus(text, { level: 'char', preprocess: 'd2l' });
  console.log(`${corpus.ids.length} characters, vocabulary ${corpus.vocab.size}: ${corpus.vocab.tokens.slice(0, 10).join(' | ')} ...`);

  const model = new LanguageModel({ cell: 'rnn', input: 'one-hot', vocabSize: corpus.vocab.size, hiddenSize: 128 });
  const optimizer = new SGD(model.parameters(), { lr: 1 });
  let clipped = 0;
  let steps = 0;
  const trainer = new Trainer({
    model,
    optimizer,
    clipNorm: 1, // rescale the gradients whenever their global L2 norm exceeds 1
    callbacks: [
      {
        onStep: (info) => {
          steps++;
          if (info.gradNorm > 1) clipped++;
        },
        onEpochEnd: (stats) => {
          console.log(`epoch ${stats.epoch}  perplexity ${stats.perplexity.toFixed(2)}  (${clipped} of ${steps} steps clipped)`);
          clipped = steps = 0;
        },
      },
    ],
  });
  // Sequential partitioning: the hidden state is carried (detached) from one batch to the next.
  await trainer.fit({ epochs: 5, data: (_epoch, random) => sequentialBatches(corpus.ids, { batchSize: 32, numSteps: 35, random }) });

  // Perplexity of the trained model on the same text, read in order from a zero state.
  const result = await evaluate(model, sequentialBatches(corpus.ids, { batchSize: 32, numSteps: 35, offset: 0 }));
  console.log(`evaluation perplexity ${result.perplexity.toFixed(2)} over ${result.tokens} characters`);

  // Greedy continuation: warm up on the prefix, then take the most likely character each step.
  const generator = new Generator({ model, vocab: corpus.vocab.toConfig(), tokenizer: { level: 'char', preprocess: 'd2l' } });
  for (const prefix of ['the whale ', 'i thought ']) {
    const { text: continuation } = await generator.generate(prefix, { maxTokens: 40 });
    console.log(`greedy: ${JSON.stringify(continuation)}`);
  }

  optimizer.dispose();
  model.dispose();
}
