import { Random, init, tf } from '@recurrent/core';
import { LanguageModel } from '@recurrent/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../optim/adam';
import { Trainer } from './trainer';
import type { TrainBatch } from './types';

beforeAll(async () => {
  await init();
});

/** Argmax of the logits [1 or B, T, V] for each position. */
function argmax(model: LanguageModel, x: Int32Array, shape: [number, number]): number[] {
  const ids = tf.tensor2d(x, shape, 'int32');
  const { logits, state } = model.forward(ids);
  const best = tf.tidy(() => tf.argMax(logits, -1));
  const out = Array.from(best.dataSync());
  tf.dispose([ids, logits, state.h, best]);
  if (state.c) state.c.dispose();
  return out;
}

describe('seed examples trained through the Trainer with Adam', () => {
  it('hello -> ohlol (one-hot RNN, hidden 4)', async () => {
    const chars = ['e', 'h', 'l', 'o'];
    const enc = (s: string): Int32Array => Int32Array.from([...s].map((c) => chars.indexOf(c)));
    const random = new Random(0);
    const model = new LanguageModel({ cell: 'rnn', input: 'one-hot', vocabSize: 4, hiddenSize: 4, random });
    const opt = new Adam(model.parameters(), { lr: 0.1 });
    const trainer = new Trainer({ model, optimizer: opt, random });
    const batch = (): TrainBatch[] => [{ x: enc('hello'), y: enc('ohlol'), shape: [1, 5] }];
    const history = await trainer.fit({ epochs: 60, data: batch });
    expect(history.at(-1)!.loss).toBeLessThan(history[0]!.loss / 4);
    expect(argmax(model, enc('hello'), [1, 5]).map((i) => chars[i]).join('')).toBe('ohlol');
    opt.dispose();
    model.dispose();
  });

  it('NPLM: i like dog / i love coffee / i hate milk (embedding LSTM, masked to the last word)', async () => {
    const sentences = ['i like dog', 'i love coffee', 'i hate milk'].map((s) => s.split(' '));
    const words = [...new Set(sentences.flat())].sort();
    const x = Int32Array.from(sentences.flatMap((s) => s.slice(0, 2).map((w) => words.indexOf(w))));
    const y = Int32Array.from(sentences.flatMap((s) => s.slice(1).map((w) => words.indexOf(w))));
    const mask = Float32Array.from(sentences.flatMap(() => [0, 1])); // only the word after the verb counts
    const random = new Random(1);
    const model = new LanguageModel({ cell: 'lstm', input: 'embedding', embeddingDim: 2, vocabSize: words.length, hiddenSize: 8, random });
    const opt = new Adam(model.parameters(), { lr: 0.05 });
    const trainer = new Trainer({ model, optimizer: opt, random });
    const history = await trainer.fit({ epochs: 80, data: () => [{ x, y, mask, shape: [3, 2] }] });
    expect(history.at(-1)!.tokens).toBe(3);
    expect(history.at(-1)!.perplexity).toBeLessThan(1.5);
    const pred = argmax(model, x, [3, 2]);
    expect([pred[1], pred[3], pred[5]].map((i) => words[i!])).toEqual(['dog', 'coffee', 'milk']);
    opt.dispose();
    model.dispose();
  });
});
