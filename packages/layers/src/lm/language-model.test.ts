import {
  assertNoLeak,
  DTypeError,
  init,
  InvalidArgumentError,
  Random,
  ShapeError,
  tf,
  VocabError,
  type Tensor,
} from '@recurrent/core';
import { expectTensorsClose, maxAbsDiff } from '@recurrent/core/testing';
import { setModuleEnabled } from '@recurrent/core/tuning';
import { oneHot } from '../embedding/one-hot';
import { beforeAll, describe, expect, it } from 'vitest';
import { detachState, disposeState, type RecurrentState } from '../rnn/state';
import { LanguageModel, type LanguageModelConfig } from './language-model';

beforeAll(async () => {
  await init();
});

const ids2d = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');

describe('LanguageModel', () => {
  it("names its state dict as d2l's RNNModel in PyTorch", () => {
    const a = new LanguageModel({
      cell: 'lstm',
      input: 'one-hot',
      vocabSize: 28,
      hiddenSize: 16,
      numLayers: 2,
    });
    expect(Object.keys(Object.fromEntries(a.namedParameters()))).toEqual([
      'rnn.weight_ih_l0',
      'rnn.weight_hh_l0',
      'rnn.bias_ih_l0',
      'rnn.bias_hh_l0',
      'rnn.weight_ih_l1',
      'rnn.weight_hh_l1',
      'rnn.bias_ih_l1',
      'rnn.bias_hh_l1',
      'linear.weight',
      'linear.bias',
    ]);
    expect(a.rnn.namedParameters()[0]![1].shape).toEqual([64, 28]);
    expect(a.config).toEqual({
      cell: 'lstm',
      nonlinearity: 'tanh',
      input: 'one-hot',
      embeddingDim: null,
      vocabSize: 28,
      hiddenSize: 16,
      numLayers: 2,
      dropout: 0,
    });
    const b = new LanguageModel({
      cell: 'gru',
      input: 'embedding',
      embeddingDim: 8,
      vocabSize: 30,
      hiddenSize: 16,
    });
    expect(
      b
        .namedParameters()
        .map(([n, p]) => `${n}:${p.shape.join('x')}`)
        .slice(0, 2),
    ).toEqual(['embedding.weight:30x8', 'rnn.weight_ih_l0:48x8']);
    a.dispose();
    b.dispose();
  });

  for (const config of [
    { cell: 'lstm', input: 'one-hot', vocabSize: 7, hiddenSize: 5, numLayers: 2 },
    { cell: 'gru', input: 'embedding', embeddingDim: 3, vocabSize: 7, hiddenSize: 9 },
    { cell: 'rnn', nonlinearity: 'relu', input: 'one-hot', vocabSize: 7, hiddenSize: 4 },
  ] as LanguageModelConfig[]) {
    for (const mode of ['train', 'eval'] as const)
      it(`${config.cell}/${config.input}: stepping token by token gives forward's logits and state (${mode} mode)`, () => {
        const m = new LanguageModel({ ...config, random: new Random(1) });
        if (mode === 'eval') m.eval(); // fused steps without gradient
        const ids = ids2d([
          [1, 2, 3, 4],
          [6, 5, 0, 0],
        ]);
        const state0 = m.beginState(2);
        expect(state0.h.shape).toEqual([config.numLayers ?? 1, 2, config.hiddenSize]);
        expect(!!state0.c).toBe(config.cell === 'lstm');
        const whole = m.forward(ids, state0);
        expect(whole.logits.shape).toEqual([2, 4, 7]);
        let s: RecurrentState = state0;
        const stepped: Tensor[] = [];
        for (let t = 0; t < 4; t++) {
          const col = tf.tidy(() => tf.reshape(tf.slice(ids, [0, t], [2, 1]), [2]));
          const r = m.step(col, s);
          if (s !== state0) disposeState(s);
          s = r.state;
          stepped.push(r.logits);
          col.dispose();
        }
        const all = tf.stack(stepped, 1);
        expectTensorsClose(all, whole.logits, { atol: 1e-5, name: 'logits' });
        expectTensorsClose(s.h, whole.state.h, { atol: 1e-5, name: 'h' });
        if (s.c) expectTensorsClose(s.c, whole.state.c!, { atol: 1e-5, name: 'c' });
        tf.dispose([ids, all, ...stepped, whole.logits]);
        disposeState(s);
        disposeState(state0);
        disposeState(whole.state);
        m.dispose();
      });
  }

  it('eval-mode step: a returned state steps again to the same result; a disposed one is refused', () => {
    const m = new LanguageModel({
      cell: 'lstm',
      input: 'one-hot',
      vocabSize: 6,
      hiddenSize: 4,
      random: new Random(4),
    }).eval();
    const ids = tf.tensor1d([2], 'int32');
    const s0 = m.beginState(1);
    const a = m.step(ids, s0);
    const b1 = m.step(ids, a.state);
    const b2 = m.step(ids, a.state); // a.state's values are read again, not the stepped copy
    expect(maxAbsDiff(b1.logits.dataSync(), b2.logits.dataSync())).toBe(0);
    expect(maxAbsDiff(b1.state.c!.dataSync(), b2.state.c!.dataSync())).toBe(0);
    expect(maxAbsDiff(a.state.h.dataSync(), b1.state.h.dataSync())).toBeGreaterThan(0);
    disposeState(a.state);
    expect(() => m.step(ids, a.state)).toThrow(/disposed/);
    tf.dispose([ids, a.logits, b1.logits, b2.logits]);
    for (const s of [s0, b1.state, b2.state]) disposeState(s);
    m.dispose();
  });

  for (const onModule of [true, false])
  it(`eval-mode steps follow parameter updates (the packed weights are refreshed; ${onModule ? 'module' : 'composed'} route)`, () => {
    setModuleEnabled(onModule);
    const m = new LanguageModel({
      cell: 'gru',
      input: 'one-hot',
      vocabSize: 6,
      hiddenSize: 4,
      numLayers: 2,
      random: new Random(1),
    }).eval();
    const other = new LanguageModel({
      cell: 'gru',
      input: 'one-hot',
      vocabSize: 6,
      hiddenSize: 4,
      numLayers: 2,
      random: new Random(2),
    });
    const ids = tf.tensor1d([3], 'int32');
    const s0 = m.beginState(1);
    const first = m.step(ids, s0);
    const dict = other.stateDict();
    m.loadStateDict(dict);
    const second = m.step(ids, s0);
    const reference = other.step(ids, s0); // training mode: the composed step
    expectTensorsClose(second.logits, reference.logits, { atol: 1e-5 });
    expect(
      Math.max(...tf.tidy(() => tf.abs(tf.sub(first.logits, second.logits)).dataSync())),
    ).toBeGreaterThan(1e-3);
    tf.dispose([ids, ...Object.values(dict), first.logits, second.logits, reference.logits]);
    for (const s of [s0, first.state, second.state, reference.state]) disposeState(s);
    const before = tf.memory().numTensors;
    m.dispose();
    // 10 parameters; packed weights on our module hold no tensors, on the composed route (module
    // off) a snapshot of each layer's 4 weights and of the head's 2
    expect(before - tf.memory().numTensors).toBe(10 + (onModule ? 0 : 2 * 4 + 2));
    other.dispose();
    setModuleEnabled(true);
  });

  for (const cell of ['lstm', 'gru', 'rnn'] as const)
    it(`${cell}/one-hot: forward by ids (row lookup, scatter-add gradient) equals the one-hot matmul path, values and every gradient`, () => {
      const m = new LanguageModel({
        cell,
        input: 'one-hot',
        vocabSize: 9,
        hiddenSize: 6,
        numLayers: 2,
        random: new Random(5),
      });
      const ids = ids2d([
        [1, 2, 3, 8, 1],
        [4, 4, 0, 7, 2],
        [8, 1, 1, 0, 5],
      ]);
      const state0 = m.beginState(3);
      const target = tf.tidy(() => tf.randomNormal([3, 5, 9], 0, 1, 'float32', 3));
      const params = m.namedParameters();
      const run = (byIds: boolean) => {
        let h: Float32Array | null = null;
        const { value, grads } = tf.variableGrads(
          () => {
            const r = byIds
              ? m.forward(ids, state0)
              : (() => {
                  // The reference: one-hot vectors through the same recurrent layer and head.
                  const x = oneHot(tf.transpose(ids), 9); // [T, B, V]
                  const { output, state } = m.rnn.forwardState(x, state0);
                  return { logits: tf.transpose(m.linear.forward(output), [1, 0, 2]), state };
                })();
            h = r.state.h.dataSync() as Float32Array;
            return tf.sum(tf.mul(r.logits, target)) as tf.Scalar;
          },
          params.map(([, p]) => p.variable),
        );
        const out = {
          loss: value.dataSync()[0]!,
          h: h!,
          grads: params.map(([, p]) => grads[p.variable.name]!.dataSync() as Float32Array),
        };
        tf.dispose([value, ...Object.values(grads)]);
        return out;
      };
      const a = run(true);
      const b = run(false);
      expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4);
      expect(maxAbsDiff(a.h, b.h)).toBeLessThan(1e-5);
      params.forEach(([name], i) =>
        expect(maxAbsDiff(a.grads[i]!, b.grads[i]!), name).toBeLessThan(1e-4),
      );
      expect(Math.max(...a.grads[0]!.map(Math.abs))).toBeGreaterThan(1e-3); // weight_ih_l0 gets a gradient
      tf.dispose([ids, target]);
      disposeState(state0);
      m.dispose();
    });

  it('does not leak through forward + backward, with a carried detached state', async () => {
    const m = new LanguageModel({
      cell: 'lstm',
      input: 'embedding',
      embeddingDim: 4,
      vocabSize: 9,
      hiddenSize: 6,
      numLayers: 2,
      dropout: 0.3,
    });
    const ids = ids2d([
      [1, 2, 3],
      [4, 5, 8],
    ]);
    let carried = m.beginState(2);
    await assertNoLeak(
      () => {
        let next: RecurrentState | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const { logits, state } = m.forward(ids, carried);
          next = detachState(state);
          return tf.mean(tf.square(logits)) as tf.Scalar;
        });
        tf.dispose([value, ...Object.values(grads)]);
        disposeState(carried);
        carried = next!;
      },
      { label: 'LanguageModel' },
    );
    disposeState(carried);
    ids.dispose();
    m.dispose();
  });

  it('detachState stops the gradient', () => {
    const x = tf.variable(tf.ones([1, 1, 2]));
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(detachState({ h: x }).h, x)) as tf.Scalar,
      [x],
    );
    expect([...grads[x.name]!.dataSync()]).toEqual([1, 1]); // only the non-detached factor
    tf.dispose([x, ...Object.values(grads)]);
  });

  it('refuses bad configs, ids and states with typed errors', () => {
    expect(
      () =>
        new LanguageModel({
          cell: 'transformer' as 'lstm',
          input: 'one-hot',
          vocabSize: 3,
          hiddenSize: 2,
        }),
    ).toThrow(InvalidArgumentError);
    expect(
      () => new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: 0, hiddenSize: 2 }),
    ).toThrow(/vocabSize/);
    const m = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: 5, hiddenSize: 3 });
    const big = ids2d([[1, 5]]);
    const floats = tf.tensor2d([[1, 2]]);
    const flat = tf.tensor1d([1, 2], 'int32');
    const state = m.beginState(3);
    const n = tf.memory().numTensors;
    expect(() => m.forward(big)).toThrow(VocabError);
    expect(() => m.forward(big)).toThrow(/id 5 at index 1/);
    expect(() => m.forward(floats)).toThrow(DTypeError);
    expect(() => m.forward(flat)).toThrow(ShapeError);
    expect(() => m.forward(ids2d([[1, 2]]), state)).toThrow(/batch size' must be 1/);
    expect(() => m.step(flat, state)).toThrow(/batch size' must be 2/);
    expect(tf.memory().numTensors - n).toBe(1); // the ids2d made inside the expectation, nothing else
    tf.dispose([big, floats, flat]);
    disposeState(state);
    m.dispose();
  });
});
