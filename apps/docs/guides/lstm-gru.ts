// LSTM and GRU: their parameters (gates stacked in PyTorch's order), their states, and the two
// as drop-in cells of the same character language model.
import { getRandom, init, manualSeed, tf } from '@recurrent/core';
import { buildCorpus, loadMobyDick, sequentialBatches } from '@recurrent/datasets';
import { GRU, LSTM, LanguageModel } from '@recurrent/layers';
import { Adam, Trainer } from '@recurrent/train';

export async function main(): Promise<void> {
  await init();
  manualSeed(0);
  const [T, B, I, H] = [7, 2, 5, 3];

  // Gates are stacked along the first axis: LSTM i, f, g, o (4H rows), GRU r, z, n (3H rows).
  const lstm = new LSTM(I, H);
  const gru = new GRU(I, H);
  for (const [name, layer] of [['LSTM', lstm], ['GRU', gru]] as const) {
    const shapes = layer.namedParameters().map(([key, p]) => `${key} [${p.shape.join(', ')}]`);
    console.log(`${name}: ${shapes.join(', ')}`);
  }

  // An LSTM carries two states, h (the output) and c (the memory cell); a GRU only h.
  const x = tf.tensor3d(getRandom().normalArray(T * B * I), [T, B, I]); // [T, B, I]
  const a = lstm.forward(x); // output [T, B, H], h and c [1, B, H]
  const b = gru.forward(x); // output [T, B, H], h [1, B, H]
  console.log('LSTM output', a.output.shape, 'h', a.h.shape, 'c', a.c.shape);
  console.log('GRU  output', b.output.shape, 'h', b.h.shape);
  tf.dispose([x, a.output, a.h, a.c, b.output, b.h]);
  lstm.dispose();
  gru.dispose();

  // The same language model with either cell, trained briefly on the same characters.
  const book = await loadMobyDick();
  const start = book.indexOf('Call me Ishmael');
  const corpus = await buildCorpus(book.slice(start, start + 12_000), { level: 'char', preprocess: 'd2l' });
  for (const cell of ['lstm', 'gru'] as const) {
    manualSeed(0);
    const model = new LanguageModel({ cell, input: 'one-hot', vocabSize: corpus.vocab.size, hiddenSize: 64 });
    const optimizer = new Adam(model.parameters(), { lr: 0.01 });
    const trainer = new Trainer({ model, optimizer, clipNorm: 1 });
    const history = await trainer.fit({ epochs: 3, data: (_e, random) => sequentialBatches(corpus.ids, { batchSize: 32, numSteps: 35, random }) });
    const ppl = history.map((s) => s.perplexity.toFixed(2)).join(' -> ');
    console.log(`${cell}: ${model.numParameters()} parameters, perplexity by epoch ${ppl}`);
    optimizer.dispose();
    model.dispose();
  }
}
