// The seed notebooks' small examples, trained to the end: hello -> ohlol three ways, the NPLM on
// three toy sentences, and d2l's from-scratch RNN. The optimizer and the loss are written here
// (a few lines each) so these tests depend on nothing but the layers.
import { init, Random, tf, type Tensor } from '@recurrent/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Embedding } from './embedding/embedding';
import { oneHot } from './embedding/one-hot';
import { LanguageModel } from './lm/language-model';
import { Linear } from './linear/linear';
import type { Module } from './module/module';
import type { Parameter } from './module/parameter';
import { LSTM } from './rnn/lstm';
import { RNN } from './rnn/rnn';
import { RNNCell } from './rnn/rnn-cell';
import { RNNScratch } from './scratch/rnn-scratch';

beforeAll(async () => {
  await init();
});

/** Adam with PyTorch's update (bias-corrected, eps after the square root), for these tests only. */
class TinyAdam {
  private t = 0;
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  constructor(
    private readonly params: Parameter[],
    private readonly lr: number,
  ) {
    this.m = params.map((p) => tf.zerosLike(p.value));
    this.v = params.map((p) => tf.zerosLike(p.value));
  }

  /** Minimises `loss()` by one step; returns the loss value. */
  step(loss: () => Tensor): number {
    const vars = this.params.map((p) => p.variable);
    const { value, grads } = tf.variableGrads(loss as () => tf.Scalar, vars);
    this.t += 1;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = grads[p.variable.name];
        if (!g) return;
        const m = tf.add(tf.mul(this.m[i]!, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v[i]!, b2), tf.mul(tf.square(g), 1 - b2));
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - b2 ** this.t)), eps);
        p.assign(tf.sub(p.value, tf.mul(tf.div(m, denom), this.lr / (1 - b1 ** this.t))));
        this.m[i]!.dispose();
        this.v[i]!.dispose();
        this.m[i] = tf.keep(m);
        this.v[i] = tf.keep(v);
      });
    });
    const out = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

/** Mean cross-entropy of logits [N, C] against integer targets. */
function crossEntropy(logits: Tensor, targets: number[]): Tensor {
  const n = logits.shape[0]!;
  const c = logits.shape[1]!;
  const y = tf.tensor2d(
    targets.flatMap((t) => Array.from({ length: c }, (_, j) => (j === t ? 1 : 0))),
    [n, c],
  );
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), y), 1)));
}

/** Trains `module` until `predict()` returns `want` (checked every 5 steps) or `maxSteps`. */
function trainUntil(
  module: Module,
  lr: number,
  loss: () => Tensor,
  predict: () => string,
  want: string,
  maxSteps: number,
): { text: string; steps: number } {
  const opt = new TinyAdam(module.parameters(), lr);
  let text = '';
  let steps = 0;
  for (; steps < maxSteps; steps++) {
    opt.step(loss);
    if (steps % 5 === 4 && (text = predict()) === want) break;
  }
  opt.dispose();
  return { text: text || predict(), steps: steps + 1 };
}

const argmaxRows = (logits: Tensor): number[] =>
  tf.tidy(() => [...tf.argMax(logits, -1).dataSync()]);

// hello -> ohlol: from each character of "hello", predict the next one of "ohlol".
const chars = ['e', 'h', 'l', 'o'];
const encode = (s: string) => [...s].map((ch) => chars.indexOf(ch));
const decode = (ids: number[]) => ids.map((i) => chars[i]).join('');
const xIds = encode('hello');
const yIds = encode('ohlol');

describe('seed examples', () => {
  it('hello -> ohlol with an RNNCell stepped by hand', () => {
    const cell = new RNNCell(4, 4, { random: new Random(0) });
    const ids = tf.tensor1d(xIds, 'int32');
    const x = oneHot(ids, 4); // [5, 4]
    const run = (): Tensor[] => {
      const hs: Tensor[] = [];
      let h = tf.zeros([1, 4]); // [B=1, H=4]; the hidden state is the logits, as in the tutorial
      for (let t = 0; t < 5; t++) {
        h = cell.forward(tf.slice(x, [t, 0], [1, 4]), h);
        hs.push(h);
      }
      return hs;
    };
    const loss = () => crossEntropy(tf.concat(run(), 0), yIds);
    const predict = () => decode(argmaxRows(tf.tidy(() => tf.concat(run(), 0))));
    const before = predict();
    const { text } = trainUntil(cell, 0.1, loss, predict, 'ohlol', 300);
    expect(before).not.toBe('ohlol');
    expect(text).toBe('ohlol');
    tf.dispose([ids, x]);
    cell.dispose();
  });

  it('hello -> ohlol with an RNN layer', () => {
    const rnn = new RNN(4, 4, { batchFirst: true, random: new Random(1) });
    const ids = tf.tensor2d([xIds], [1, 5], 'int32');
    const x = oneHot(ids, 4); // [1, 5, 4]
    const logits = () => tf.reshape(rnn.forward(x).output, [5, 4]);
    const { text } = trainUntil(
      rnn,
      0.1,
      () => crossEntropy(logits(), yIds),
      () => decode(argmaxRows(tf.tidy(logits))),
      'ohlol',
      300,
    );
    expect(text).toBe('ohlol');
    tf.dispose([ids, x]);
    rnn.dispose();
  });

  it('hello -> ohlol with Embedding + RNN + Linear (a LanguageModel)', () => {
    const model = new LanguageModel({
      cell: 'rnn',
      input: 'embedding',
      embeddingDim: 10,
      vocabSize: 4,
      hiddenSize: 8,
      random: new Random(2),
    });
    expect(model.namedParameters().map(([n]) => n)).toEqual([
      'embedding.weight',
      'rnn.weight_ih_l0',
      'rnn.weight_hh_l0',
      'rnn.bias_ih_l0',
      'rnn.bias_hh_l0',
      'linear.weight',
      'linear.bias',
    ]);
    const ids = tf.tensor2d([xIds], [1, 5], 'int32');
    const logits = () => {
      const r = model.forward(ids);
      tf.dispose(r.state.h);
      return tf.reshape(r.logits, [5, 4]);
    };
    const { text } = trainUntil(
      model,
      0.1,
      () => crossEntropy(logits(), yIds),
      () => decode(argmaxRows(tf.tidy(logits))),
      'ohlol',
      300,
    );
    expect(text).toBe('ohlol');
    ids.dispose();
    model.dispose();
  });

  it("NPLM: Embedding + LSTM + Linear on the last step predicts each sentence's last word", () => {
    const sentences = ['i like dog', 'i love coffee', 'i hate milk'];
    const words = [...new Set(sentences.join(' ').split(' '))];
    const V = words.length;
    const inputs = sentences.map((s) =>
      s
        .split(' ')
        .slice(0, -1)
        .map((w) => words.indexOf(w)),
    );
    const targets = sentences.map((s) => words.indexOf(s.split(' ').at(-1)!));
    const embedding = new Embedding(V, 2, { random: new Random(3) });
    const lstm = new LSTM(2, 5, { batchFirst: true, random: new Random(4) });
    const linear = new Linear(5, V, { random: new Random(5) });
    const all = {
      parameters: () => [...embedding.parameters(), ...lstm.parameters(), ...linear.parameters()],
    } as Module;
    const ids = tf.tensor2d(inputs, [3, 2], 'int32');
    const logits = () => {
      const { output, h, c } = lstm.forward(embedding.forward(ids)); // output [3, 2, 5]
      tf.dispose([h, c]);
      return linear.forward(tf.reshape(tf.slice(output, [0, 1, 0], [3, 1, 5]), [3, 5])); // [3, V]
    };
    const predict = () =>
      argmaxRows(tf.tidy(logits))
        .map((i) => words[i])
        .join(' ');
    const { text } = trainUntil(
      all,
      0.05,
      () => crossEntropy(logits(), targets),
      predict,
      'dog coffee milk',
      500,
    );
    expect(text).toBe('dog coffee milk');
    ids.dispose();
    for (const m of [embedding, lstm, linear]) m.dispose();
  });

  it("d2l's RNN from explicit parameters learns hello -> ohlol and matches the RNN layer's step", () => {
    const model = new RNNScratch(4, 8, { sigma: 0.5, random: new Random(6) });
    expect(model.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual([
      'W_xh:4x8',
      'W_hh:8x8',
      'b_h:8',
      'W_hq:8x4',
      'b_q:4',
    ]);
    const ids = tf.tensor2d([xIds], [1, 5], 'int32');
    // Same numbers as an RNN layer holding the transposed weights.
    const layer = new RNN(4, 8, { bias: true });
    tf.tidy(() => {
      layer.loadStateDict({
        weight_ih_l0: tf.transpose(model.W_xh.value),
        weight_hh_l0: tf.transpose(model.W_hh.value),
        bias_ih_l0: model.b_h.value,
        bias_hh_l0: tf.zeros([8]),
      });
      const mine = model.rnn(oneHot(tf.transpose(ids), 4));
      const theirs = layer.forward(oneHot(tf.transpose(ids), 4));
      expect(Math.max(...tf.abs(tf.sub(mine.outputs, theirs.output)).dataSync())).toBeLessThan(
        1e-6,
      );
    });
    layer.dispose();
    const logits = () => {
      const r = model.forward(ids);
      r.h.dispose();
      return tf.reshape(r.logits, [5, 4]);
    };
    const { text } = trainUntil(
      model,
      0.1,
      () => crossEntropy(logits(), yIds),
      () => decode(argmaxRows(tf.tidy(logits))),
      'ohlol',
      300,
    );
    expect(text).toBe('ohlol');
    ids.dispose();
    model.dispose();
  });
});
