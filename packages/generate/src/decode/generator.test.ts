import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, Random, VocabError, init, tf } from '@recurrent/core';
import { setModuleEnabled } from '@recurrent/core/tuning';
import { LanguageModel, type LanguageModelConfig } from '@recurrent/layers';
import { ReferenceLM } from '../../test/reference-lm';
import { argmax, logSoftmax64 } from '../processors/logits-processor';
import { GenerationAbortedError, Generator } from './generator';
import type { GenerationModel } from './model';

const chars = ['<unk>', ' ', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
let model: ReferenceLM;
let gen: Generator;

beforeAll(async () => {
  await init();
  model = ReferenceLM.random({ cell: 'lstm', input: 'one-hot', vocabSize: chars.length, hiddenSize: 16, numLayers: 2 }, 7, 0.8);
  gen = new Generator({ model, vocab: { tokens: chars, unk: '<unk>' }, tokenizer: { level: 'char', preprocess: 'none' } });
});
afterAll(() => model.dispose());

describe('Generator', () => {
  it('greedy decoding follows the model argmax step by step (predict_ch8)', async () => {
    const r = await gen.generate('abc', { maxTokens: 6 });
    // recompute by hand with the model
    const ids = [2, 3, 4];
    let state = model.beginState(1);
    for (const id of ids.slice(0, -1)) {
      const x = tf.tensor1d([id], 'int32');
      const o = model.step(x, state);
      tf.dispose([x, o.logits, state.h, state.c!]);
      state = o.state;
    }
    const want: number[] = [];
    let last = ids[ids.length - 1]!;
    for (let i = 0; i < 6; i++) {
      const x = tf.tensor1d([last], 'int32');
      const o = model.step(x, state);
      last = argmax(o.logits.dataSync());
      want.push(last);
      tf.dispose([x, o.logits, state.h, state.c!]);
      state = o.state;
    }
    tf.dispose([state.h, state.c!]);
    expect(r.ids).toEqual(want);
    expect(r.text).toBe('abc' + want.map((i) => chars[i]).join(''));
    expect(r.finishReason).toBe('length');
  });

  it('temperature -> 0 sampling equals greedy, whatever the seed', async () => {
    const greedy = await gen.generate('ab', { maxTokens: 30 });
    for (const seed of [1, 2, 3]) {
      const s = await gen.generate('ab', { maxTokens: 30, strategy: 'sample', temperature: 1e-5, seed });
      expect(s.text).toBe(greedy.text);
    }
  });

  it('beam width 1 equals greedy', async () => {
    const greedy = await gen.generate('cab', { maxTokens: 25 });
    const beam = await gen.generate('cab', { maxTokens: 25, strategy: 'beam', beamWidth: 1 });
    expect(beam.text).toBe(greedy.text);
  });

  it('a wide enough beam finds the most likely continuation (exhaustive check)', async () => {
    const tiny = ReferenceLM.random({ cell: 'gru', input: 'embedding', vocabSize: 3, hiddenSize: 4, numLayers: 1 }, 3, 2);
    const g = new Generator({ model: tiny, vocab: { tokens: ['x', 'y', 'z'], unk: null } });
    const logProb = async (seq: number[]) => {
      let total = 0;
      let state = tiny.beginState(1);
      const all = [0, ...seq];
      for (let t = 0; t < seq.length; t++) {
        const x = tf.tensor1d([all[t]!], 'int32');
        const o = tiny.step(x, state);
        total += logSoftmax64(o.logits.dataSync())[seq[t]!]!;
        tf.dispose([x, o.logits, state.h]);
        state = o.state;
      }
      state.h.dispose();
      return total;
    };
    let best = { seq: [] as number[], lp: -Infinity };
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++)
        for (let c = 0; c < 3; c++) {
          const lp = await logProb([a, b, c]);
          if (lp > best.lp) best = { seq: [a, b, c], lp };
        }
    const r = await g.generate('x', { maxTokens: 3, strategy: 'beam', beamWidth: 9 });
    expect(r.ids).toEqual(best.seq);
    expect(r.score!).toBeCloseTo(best.lp / 3, 5);
    tiny.dispose();
  });

  it('the same seed gives the same text; another seed another text', async () => {
    const a = await gen.generate('a', { maxTokens: 40, temperature: 1.5, seed: 42 });
    const b = await gen.generate('a', { maxTokens: 40, temperature: 1.5, seed: 42 });
    const c = await gen.generate('a', { maxTokens: 40, temperature: 1.5, seed: 43 });
    expect(a.text).toBe(b.text);
    expect(c.text).not.toBe(a.text);
  });

  it('sampling with top-k only ever picks among the k most likely tokens', async () => {
    const picked: { id: number; allowed: Set<number> }[] = [];
    // check through a processor placed after top-k: it sees what top-k left
    const r = await gen.generate('ab', {
      maxTokens: 40,
      topK: 2,
      seed: 5,
      processors: [
        (_ids, logits) => {
          picked.push({ id: -1, allowed: new Set([...logits.keys()].filter((i) => logits[i] !== -Infinity)) });
          return logits;
        },
      ],
    });
    expect(picked.length).toBe(40);
    r.ids.forEach((id, i) => {
      expect(picked[i]!.allowed.size).toBe(2);
      expect(picked[i]!.allowed.has(id)).toBe(true);
    });
  });

  it('generates a batch of prefixes at once, each equal to its own run', async () => {
    const prefixes = ['a', 'bcd', 'hhhgf'];
    const batch = await gen.generateBatch(prefixes, { maxTokens: 12 });
    for (let i = 0; i < prefixes.length; i++) {
      const single = await gen.generate(prefixes[i]!, { maxTokens: 12 });
      expect(batch[i]!.text).toBe(single.text);
    }
    const sampled1 = await gen.generateBatch(prefixes, { maxTokens: 12, temperature: 1, seed: 9 });
    const sampled2 = await gen.generateBatch(prefixes, { maxTokens: 12, temperature: 1, seed: 9 });
    expect(sampled1.map((r) => r.text)).toEqual(sampled2.map((r) => r.text));
  });

  it('stops at stop tokens and stop strings, keeping them', async () => {
    const free = await gen.generate('ab', { maxTokens: 30, temperature: 2, seed: 11 });
    const stopTok = free.tokens[4]!;
    const firstAt = free.tokens.indexOf(stopTok);
    const r = await gen.generate('ab', { maxTokens: 30, temperature: 2, seed: 11, stopTokens: [stopTok] });
    expect(r.tokens).toEqual(free.tokens.slice(0, firstAt + 1));
    expect(r.finishReason).toBe('stop');
    const str = free.tokens.slice(6, 8).join('');
    const s = await gen.generate('ab', { maxTokens: 30, temperature: 2, seed: 11, stopStrings: [str] });
    const end = free.tokens.join('').indexOf(str) + str.length;
    expect(s.tokens.join('')).toBe(free.tokens.join('').slice(0, end));
  });

  it('streams tokens as they are produced, before the end', async () => {
    const seen: string[] = [];
    let ended = false;
    const it = gen.stream('ab', { maxTokens: 20, streamer: { put: (t) => seen.push(t), end: () => (ended = true) } });
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(seen.length).toBe(1);
    expect(ended).toBe(false);
    let n = 1;
    for await (const tok of it) {
      n++;
      expect(typeof tok.text).toBe('string');
    }
    expect(n).toBe(20);
    expect(ended).toBe(true);
    const whole = await gen.generate('ab', { maxTokens: 20 });
    expect('ab' + seen.join('')).toBe(whole.text);
  });

  it('breaking out of the stream frees the state (no leak)', async () => {
    const before = tf.memory().numTensors;
    for await (const tok of gen.stream('ab', { maxTokens: 100 })) {
      if (tok.text) break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an AbortSignal stops generation within one step', async () => {
    const controller = new AbortController();
    let count = 0;
    const p = gen.generate('ab', {
      maxTokens: 500,
      signal: controller.signal,
      onToken: () => {
        count++;
        if (count === 5) controller.abort();
      },
    });
    await expect(p).rejects.toThrow(GenerationAbortedError);
    expect(count).toBe(5);
    // from a timer, while generation runs
    const c2 = new AbortController();
    let n2 = 0;
    setTimeout(() => c2.abort(), 30);
    const before = tf.memory().numTensors;
    await expect(gen.generate('ab', { maxTokens: 1_000_000, signal: c2.signal, onToken: () => n2++ })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(n2).toBeGreaterThan(0);
    expect(n2).toBeLessThan(1_000_000);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('maps unknown prefix tokens to unk, or raises, by option', async () => {
    const enc = await gen.encodePrefix('aZb');
    expect(enc.ids).toEqual([2, 0, 3]);
    await expect(gen.encodePrefix('aZb', { unknown: 'error' })).rejects.toThrow(VocabError);
    await expect(gen.generate('aZb', { unknown: 'error' })).rejects.toThrow(/'prefix' must be tokens of the vocabulary, got "Z"/);
    const noUnk = new Generator({ model, vocab: { tokens: ['x', ' ', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], unk: null } });
    await expect(noUnk.generate('aZ')).rejects.toThrow(/it has no unk token/);
  });

  it('refuses bad input with typed errors before any tensor work', async () => {
    const before = tf.memory().numTensors;
    await expect(gen.generate('')).rejects.toThrow(/'prefix' must be a non-empty string, got ""/);
    await expect(gen.generate('a', { temperature: 0 })).rejects.toThrow(/'temperature' must be a finite number > 0, got 0/);
    await expect(gen.generate('a', { temperature: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(gen.generate('a', { topP: 0 })).rejects.toThrow(/'topP' must be a finite number > 0 and <= 1, got 0/);
    await expect(gen.generate('a', { topP: 1.01 })).rejects.toThrow(/'topP'/);
    await expect(gen.generate('a', { topK: 0 })).rejects.toThrow(/'topK' must be a positive integer, got 0/);
    await expect(gen.generate('a', { beamWidth: 0 })).rejects.toThrow(/'beamWidth' must be a positive integer, got 0/);
    await expect(gen.generate('a', { strategy: 'nucleus' as never })).rejects.toThrow(/'strategy' must be one of/);
    await expect(gen.generate('a', { stopTokens: ['Q'] })).rejects.toThrow(VocabError);
    await expect(gen.generateBatch(['a', ''])).rejects.toThrow(/'prefixes\[1\]' must be a non-empty string/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('joins word-level tokens with spaces', async () => {
    const words = ['<unk>', 'the', 'time', 'machine', 'traveller', 'and', 'a', 'of', 'to', 'was'];
    const g = new Generator({ model, vocab: { tokens: words, unk: '<unk>' }, tokenizer: { level: 'word', preprocess: 'd2l' } });
    const pieces: string[] = [];
    const r = await g.generate('the  time', { maxTokens: 5, onToken: (t) => pieces.push(t) });
    expect(r.prefixTokens).toEqual(['the', 'time']);
    expect(r.text).toBe(['the', 'time', ...r.tokens].join(' '));
    expect(r.prefixText + pieces.join('')).toBe(r.text);
    expect(pieces.every((p) => p.startsWith(' '))).toBe(true);
    // preprocessPrefix applies d2l's lower-casing to the prefix
    const pre = await g.encodePrefix('The Time!', { preprocessPrefix: true });
    expect(pre.tokens).toEqual(['the', 'time']);
  });
});

describe('Generator with a jieba vocabulary', () => {
  it('segments the prefix with jieba and joins words with nothing between them', async () => {
    const words = ['<unk>', '北京', '冬奥', '的', '进度条', '已经', '过半', '，', '不少', '外国'];
    const g = new Generator({ model, vocab: { tokens: words, unk: '<unk>' }, tokenizer: { level: 'jieba', preprocess: 'none' } });
    const enc = await g.encodePrefix('北京冬奥的进度条');
    expect(enc.tokens).toEqual(['北京', '冬奥', '的', '进度条']);
    expect(enc.ids).toEqual([1, 2, 3, 4]);
    const r = await g.generate('北京冬奥的进度条', { maxTokens: 4 });
    expect(r.text).toBe('北京冬奥的进度条' + r.tokens.join(''));
  });
});

describe('Generator on a LanguageModel in eval mode (tensor-free decoding session)', () => {
  const letters = ['<unk>', ' ', ...'abcdefghijklmnopqrstuvwxyz'];

  /** The same model seen without `openSession`: the Generator then steps it with tensors. */
  const tensorPath = (m: LanguageModel): GenerationModel => ({
    config: m.config,
    beginState: (b) => m.beginState(b),
    forward: (ids, s) => m.forward(ids, s),
    step: (ids, s) => m.step(ids, s),
  });

  for (const config of [
    { cell: 'lstm', input: 'one-hot', vocabSize: 28, hiddenSize: 64 },
    { cell: 'gru', input: 'embedding', embeddingDim: 8, vocabSize: 28, hiddenSize: 24, numLayers: 2 },
    { cell: 'rnn', nonlinearity: 'tanh', input: 'one-hot', vocabSize: 28, hiddenSize: 20 },
  ] as LanguageModelConfig[])
    it(`${config.cell}: greedy text over 200 tokens equals the tensor path and the composed (training-mode) step`, async () => {
      const m = new LanguageModel({ ...config, random: new Random(5) });
      // Scaled-up weights so the greedy text does not settle into a loop at once.
      for (const [, p] of m.namedParameters()) p.assign(tf.tidy(() => tf.mul(p.value, 6)));
      m.eval();
      const vocab = { tokens: letters, unk: '<unk>' };
      const opened = vi.spyOn(m, 'openSession');
      const fast = new Generator({ model: m, vocab });
      const prefixes = ['the time ', 'x'];
      await fast.generate('a', { maxTokens: 1 }); // packs the weights (kept until they change)
      const before = tf.memory().numTensors;
      const got = await fast.generateBatch(prefixes, { maxTokens: 200 });
      expect(tf.memory().numTensors).toBe(before);
      expect(opened).toHaveBeenCalled();
      const viaTensors = await new Generator({ model: tensorPath(m), vocab }).generateBatch(prefixes, { maxTokens: 200 });
      m.train(); // the composed, differentiable step (no dropout here): the reference
      const reference = await new Generator({ model: m, vocab }).generateBatch(prefixes, { maxTokens: 200 });
      expect(new Set(got[0]!.tokens).size).toBeGreaterThan(3); // not stuck on one token
      expect(got.map((r) => r.text)).toEqual(viaTensors.map((r) => r.text));
      expect(got.map((r) => r.text)).toEqual(reference.map((r) => r.text));
      m.dispose();
    });

  it('gives the same text on the composed route (our module switched off)', async () => {
    const config: LanguageModelConfig = { cell: 'lstm', input: 'one-hot', vocabSize: 28, hiddenSize: 32, random: new Random(8) };
    const vocab = { tokens: letters, unk: '<unk>' };
    const withKernel = new LanguageModel(config).eval();
    const a = await new Generator({ model: withKernel, vocab }).generate('abc', { maxTokens: 100 });
    setModuleEnabled(false);
    try {
      const without = new LanguageModel({ ...config, random: new Random(8) }).eval();
      const b = await new Generator({ model: without, vocab }).generate('abc', { maxTokens: 100 });
      expect(b.text).toBe(a.text);
      without.dispose();
    } finally {
      setModuleEnabled(true);
    }
    withKernel.dispose();
  });
});
