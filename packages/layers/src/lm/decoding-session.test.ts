import {
  assertNoLeak,
  init,
  InvalidArgumentError,
  Random,
  ShapeError,
  tf,
} from '@recurrent/core';
import { maxAbsDiff } from '@recurrent/core/testing';
import { setModuleEnabled } from '@recurrent/core/tuning';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { disposeState, type RecurrentState } from '../rnn/state';
import { LanguageModel, type LanguageModelConfig } from './language-model';

beforeAll(async () => {
  await init();
});

afterEach(() => setModuleEnabled(true));

/** The reference: the composed, differentiable step of training mode (dropout 0), T steps. */
function referenceSteps(
  m: LanguageModel,
  ids: number[][],
  state0: RecurrentState,
): { logits: Float32Array[]; h: Float32Array; c: Float32Array | null } {
  m.train();
  let s = state0;
  const logits: Float32Array[] = [];
  for (const row of ids) {
    const t = tf.tensor1d(row, 'int32');
    const r = m.step(t, s);
    t.dispose();
    if (s !== state0) disposeState(s);
    s = r.state;
    logits.push(r.logits.dataSync().slice() as Float32Array);
    r.logits.dispose();
  }
  const out = {
    logits,
    h: s.h.dataSync().slice() as Float32Array,
    c: s.c ? (s.c.dataSync().slice() as Float32Array) : null,
  };
  if (s !== state0) disposeState(s);
  m.eval();
  return out;
}

describe('DecodingSession (tensor-free eval-mode decoding)', () => {
  const configs: LanguageModelConfig[] = [
    { cell: 'lstm', input: 'one-hot', vocabSize: 28, hiddenSize: 32, numLayers: 1 },
    { cell: 'lstm', input: 'one-hot', vocabSize: 11, hiddenSize: 7, numLayers: 2 },
    { cell: 'gru', input: 'one-hot', vocabSize: 9, hiddenSize: 20, numLayers: 2 },
    { cell: 'gru', input: 'embedding', embeddingDim: 5, vocabSize: 9, hiddenSize: 6 },
    { cell: 'rnn', nonlinearity: 'tanh', input: 'embedding', vocabSize: 8, hiddenSize: 16 },
    {
      cell: 'rnn',
      nonlinearity: 'relu',
      input: 'one-hot',
      vocabSize: 8,
      hiddenSize: 5,
      numLayers: 2,
    },
  ];
  for (const onModule of [true, false])
    for (const config of configs)
      for (const B of [1, 3]) {
        const name = `${config.cell}${config.nonlinearity ? `/${config.nonlinearity}` : ''} ${config.input} L=${config.numLayers ?? 1} B=${B}`;
        it(`${name}: logits and state equal the composed step (${onModule ? 'module' : 'composed'} route)`, () => {
          setModuleEnabled(onModule);
          const m = new LanguageModel({ ...config, random: new Random(3) }).eval();
          const V = config.vocabSize;
          const rng = new Random(B);
          const ids = Array.from({ length: 6 }, () => Array.from({ length: B }, () => rng.int(V)));
          // A non-zero starting state: the model's own state after two tokens.
          const warm = m.forward(
            tf.tensor2d(
              Array.from({ length: B }, (_, b) => [b % V, (b + 2) % V]),
              [B, 2],
              'int32',
            ),
          );
          warm.logits.dispose();
          const ref = referenceSteps(m, ids, warm.state);
          const session = m.openSession(warm.state)!;
          expect(session.batchSize).toBe(B);
          let worst = 0;
          ids.forEach((row, t) => {
            worst = Math.max(worst, maxAbsDiff(session.step(row), ref.logits[t]!));
          });
          expect(worst).toBeLessThan(1e-5);
          const s = session.state();
          expect(maxAbsDiff(s.h.dataSync(), ref.h)).toBeLessThan(1e-5);
          if (ref.c) expect(maxAbsDiff(s.c!.dataSync(), ref.c)).toBeLessThan(1e-5);
          else expect(s.c).toBeUndefined();
          disposeState(s);
          disposeState(warm.state);
          session.dispose();
          m.dispose();
        });
      }

  it('makes no tensors per step, keeps the given state, and follows weight updates', async () => {
    const m = new LanguageModel({
      cell: 'lstm',
      input: 'one-hot',
      vocabSize: 6,
      hiddenSize: 8,
      random: new Random(1),
    }).eval();
    const other = new LanguageModel({
      cell: 'lstm',
      input: 'one-hot',
      vocabSize: 6,
      hiddenSize: 8,
      random: new Random(2),
    }).eval();
    const state = m.beginState(1);
    const session = m.openSession(state)!;
    session.step([1]);
    await assertNoLeak(() => void session.step([2]), { runs: 3, label: 'DecodingSession.step' });
    expect(Array.from(state.h.dataSync()).every((v) => v === 0)).toBe(true);
    // After loading other's weights the session uses them: same logits as other's own session.
    const a = m.openSession(state)!;
    const dict = other.stateDict();
    m.loadStateDict(dict);
    const b = other.openSession(state)!;
    expect(maxAbsDiff(a.step([4]), b.step([4]))).toBeLessThan(1e-6);
    tf.dispose(Object.values(dict));
    disposeState(state);
    m.dispose();
    other.dispose();
  });

  it('validates the state once and the ids every step; none in training mode', () => {
    const m = new LanguageModel({
      cell: 'gru',
      input: 'one-hot',
      vocabSize: 5,
      hiddenSize: 4,
      numLayers: 2,
      random: new Random(1),
    }).eval();
    const good = m.beginState(2);
    const bad = { h: tf.zeros([1, 2, 4]) };
    expect(() => m.openSession(bad)).toThrow(ShapeError);
    expect(() => m.openSession({} as RecurrentState)).toThrow(InvalidArgumentError);
    const session = m.openSession(good)!;
    expect(() => session.step([1])).toThrow(/'ids' must be 2 token ids/);
    expect(() => session.step([1, 5])).toThrow(/'ids' must be integers in \[0, 5\), got 5/);
    expect(() => session.step([1, 0.5])).toThrow(InvalidArgumentError);
    session.dispose();
    expect(() => session.step([1, 2])).toThrow(/disposed/);
    m.train();
    expect(m.openSession(good)).toBeNull();
    tf.dispose([good.h, bad.h]);
    m.dispose();
  });
});
