import {
  assertNoLeak,
  DTypeError,
  init,
  InvalidArgumentError,
  Random,
  ShapeError,
  tf,
  type Tensor,
} from '@recurrent/core';
import { expectCloseToFixture, expectTensorsClose } from '@recurrent/core/testing';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRU } from './gru';
import { GRUCell } from './gru-cell';
import { LSTM } from './lstm';
import { LSTMCell } from './lstm-cell';
import { RNN } from './rnn';
import type { RNNBase } from './rnn-base';
import { RNNCell } from './rnn-cell';

beforeAll(async () => {
  await init();
});

const randn = (shape: number[], seed: number): Tensor =>
  tf.tensor(new Random(seed).normalArray(shape.reduce((a, b) => a * b, 1)), shape);

type Kind = 'rnn' | 'lstm' | 'gru';
function make(
  kind: Kind,
  I: number,
  H: number,
  options: ConstructorParameters<typeof LSTM>[2] = {},
): RNNBase {
  const o = { random: new Random(1), ...options };
  return kind === 'lstm' ? new LSTM(I, H, o) : kind === 'gru' ? new GRU(I, H, o) : new RNN(I, H, o);
}

describe('RNN / LSTM / GRU parameters', () => {
  it('uses PyTorch names, shapes and order', () => {
    const m = new LSTM(5, 6, { numLayers: 2, bidirectional: true, random: new Random(0) });
    const named = m.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`);
    expect(named.slice(0, 8)).toEqual([
      'weight_ih_l0:24x5',
      'weight_hh_l0:24x6',
      'bias_ih_l0:24',
      'bias_hh_l0:24',
      'weight_ih_l0_reverse:24x5',
      'weight_hh_l0_reverse:24x6',
      'bias_ih_l0_reverse:24',
      'bias_hh_l0_reverse:24',
    ]);
    expect(named[8]).toBe('weight_ih_l1:24x12');
    expect(named).toHaveLength(16);
    expect(new GRU(3, 4, { bias: false }).namedParameters().map(([n]) => n)).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
    ]);
    expect(
      new RNNCell(3, 4).namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`),
    ).toEqual(['weight_ih:4x3', 'weight_hh:4x4', 'bias_ih:4', 'bias_hh:4']);
    m.dispose();
  });

  it('initialises from U(-1/sqrt(H), 1/sqrt(H)) and a seed reproduces it', () => {
    const a = new GRU(7, 16, { random: new Random(3) });
    const b = new GRU(7, 16, { random: new Random(3) });
    const values = a.parameters().flatMap((p) => [...(p.value.dataSync() as Float32Array)]);
    const bound = 1 / Math.sqrt(16);
    expect(Math.max(...values)).toBeLessThan(bound);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...values)).toBeGreaterThan(bound * 0.9); // spread over the whole range
    expectTensorsClose(a.parameters()[1]!.value, b.parameters()[1]!.value, { atol: 0, rtol: 0 });
    a.dispose();
    b.dispose();
  });

  it('round-trips its state dict into a fresh layer', () => {
    const a = make('lstm', 3, 4, { numLayers: 2, random: new Random(5) });
    const b = make('lstm', 3, 4, { numLayers: 2, random: new Random(6) });
    const dict = a.stateDict();
    b.loadStateDict(dict);
    tf.dispose(Object.values(dict));
    const x = randn([5, 2, 3], 9);
    const ra = a.forwardState(x);
    const rb = b.forwardState(x);
    expectTensorsClose(rb.output, ra.output, { atol: 0, rtol: 0, name: 'output' });
    expectTensorsClose(rb.state.c!, ra.state.c!, { atol: 0, rtol: 0, name: 'c' });
    tf.dispose([x, ra.output, ra.state.h, ra.state.c!, rb.output, rb.state.h, rb.state.c!]);
    a.dispose();
    b.dispose();
  });
});

describe('RNN / LSTM / GRU forward', () => {
  it('returns PyTorch layouts for batchFirst, bidirectional, stacked and unbatched input', () => {
    const m = new GRU(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true });
    const x = randn([2, 5, 3], 1); // [B, T, I]
    const r = m.forward(x);
    expect(r.output.shape).toEqual([2, 5, 8]);
    expect(r.h.shape).toEqual([4, 2, 4]);
    // The forward direction's last output is its final h; the reverse direction's first output is its final h.
    const out = r.output.arraySync() as number[][][];
    const h = r.h.arraySync() as number[][][];
    for (let b = 0; b < 2; b++) {
      expect(out[b]![4]!.slice(0, 4)).toEqual(h[2]![b]);
      expect(out[b]![0]!.slice(4)).toEqual(h[3]![b]);
    }
    const u = new LSTM(3, 4).forward(randn([5, 3], 2)); // unbatched [T, I]
    expect(u.output.shape).toEqual([5, 4]);
    expect(u.h.shape).toEqual([1, 4]);
    expect(u.c.shape).toEqual([1, 4]);
    tf.dispose([x, r.output, r.h, u.output, u.h, u.c]);
    m.dispose();
  });

  it('cells take unbatched input and default to a zero state; RNN and GRU take h0 as a tensor or a state', () => {
    const cell = new LSTMCell(3, 4, { random: new Random(2) });
    const x = randn([3], 1);
    const one = cell.forward(x);
    expect(one.h.shape).toEqual([4]);
    const batched = cell.forward(tf.reshape(x, [1, 3]), {
      h: tf.zeros([1, 4]),
      c: tf.zeros([1, 4]),
    });
    expectTensorsClose(tf.reshape(batched.c, [4]), one.c, { atol: 0, rtol: 0 });
    const rnn = new RNN(3, 4);
    const xs = randn([2, 1, 3], 2);
    const h0 = randn([1, 1, 4], 3);
    const a = rnn.forward(xs, h0);
    const b = rnn.forward(xs, { h: h0 });
    expectTensorsClose(a.output, b.output, { atol: 0, rtol: 0 });
    tf.dispose([x, one.h, one.c, batched.h, batched.c, xs, h0, a.output, a.h, b.output, b.h]);
    cell.dispose();
    rnn.dispose();
  });

  it('continues a sequence: two halves with the state carried equal one whole run', () => {
    for (const kind of ['rnn', 'lstm', 'gru'] as const) {
      const m = make(kind, 3, 4, { numLayers: 2 });
      const x = randn([6, 2, 3], 4);
      const whole = m.forwardState(x);
      const [x1, x2] = tf.split(x, 2, 0) as [Tensor, Tensor];
      const first = m.forwardState(x1);
      const second = m.forwardState(x2, first.state);
      expectTensorsClose(second.state.h, whole.state.h, { name: `${kind} h`, atol: 1e-6 });
      expectTensorsClose(tf.concat([first.output, second.output], 0), whole.output, {
        name: `${kind} output`,
        atol: 1e-6,
      });
      m.dispose();
      tf.dispose([
        x,
        x1,
        x2,
        whole.output,
        whole.state.h,
        first.output,
        first.state.h,
        second.output,
        second.state.h,
      ]);
      if (whole.state.c) tf.dispose([whole.state.c, first.state.c!, second.state.c!]);
    }
  });

  it('the reverse half of a bidirectional output is a one-way run on the flipped input, flipped back', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Kind>('rnn', 'lstm', 'gru'),
        fc.integer({ min: 1, max: 6 }), // T
        fc.integer({ min: 1, max: 3 }), // B
        fc.integer({ min: 1, max: 4 }), // I
        fc.integer({ min: 1, max: 5 }), // H
        fc.integer({ min: 0, max: 1000 }),
        (kind, T, B, I, H, seed) => {
          const bi = make(kind, I, H, { bidirectional: true, random: new Random(seed) });
          const uni = make(kind, I, H, { random: new Random(seed + 1) });
          const dict = bi.stateDict();
          const reverseOnly: Record<string, Tensor> = {};
          for (const [k, v] of Object.entries(dict))
            if (k.endsWith('_reverse')) reverseOnly[k.replace('_reverse', '')] = v;
          uni.loadStateDict(reverseOnly);
          tf.dispose(Object.values(dict));
          tf.tidy(() => {
            const x = randn([T, B, I], seed);
            const both = bi.forwardState(x);
            const one = uni.forwardState(tf.reverse(x, 0));
            const reverseHalf = tf.slice(both.output, [0, 0, H], [T, B, H]);
            expectTensorsClose(reverseHalf, tf.reverse(one.output, 0), {
              atol: 1e-6,
              name: 'reverse half',
            });
            expectTensorsClose(tf.slice(both.state.h, [1, 0, 0], [1, B, H]), one.state.h, {
              atol: 1e-6,
              name: 'h_n reverse',
            });
          });
          bi.dispose();
          uni.dispose();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('applies dropout between layers only in training, reproducibly from its seed', () => {
    const x = randn([4, 2, 3], 7);
    const run = (train: boolean) => {
      const m = make('lstm', 3, 8, { numLayers: 2, dropout: 0.5, random: new Random(11) });
      m.train(train);
      const r = m.forwardState(x);
      const out = r.output.dataSync().slice();
      tf.dispose([r.output, r.state.h, r.state.c!]);
      m.dispose();
      return out;
    };
    expect(run(true)).toEqual(run(true));
    expect(run(false)).not.toEqual(run(true));
    const m = make('lstm', 3, 8, { numLayers: 2, dropout: 0.5, random: new Random(11) }).eval();
    const noDrop = make('lstm', 3, 8, { numLayers: 2, random: new Random(11) });
    const a = m.forwardState(x);
    const b = noDrop.forwardState(x);
    expectTensorsClose(a.output, b.output, { atol: 0, rtol: 0 });
    tf.dispose([x, a.output, a.state.h, a.state.c!, b.output, b.state.h, b.state.c!]);
    m.dispose();
    noDrop.dispose();
  });

  it('leaves no tensors behind after forward + backward', async () => {
    const layers: [string, RNNBase][] = [
      ['RNN', make('rnn', 3, 4, { numLayers: 2, bidirectional: true })],
      ['LSTM', make('lstm', 3, 4, { numLayers: 2, bidirectional: true, dropout: 0.2 })],
      ['GRU', make('gru', 3, 4, { batchFirst: true })],
      [
        'LSTM composed',
        make('lstm', 3, 4, { numLayers: 2, bidirectional: true, implementation: 'composed' }),
      ],
      ['RNN composed', make('rnn', 3, 4, { implementation: 'composed' })],
    ];
    const x = randn([5, 2, 3], 3);
    for (const [label, m] of layers) {
      await assertNoLeak(
        () => {
          const { value, grads } = tf.variableGrads(() => {
            const r = m.forwardState(x);
            return tf.add(tf.sum(r.output), tf.sum(r.state.h)) as tf.Scalar;
          });
          value.dispose();
          tf.dispose(Object.values(grads));
        },
        { label },
      );
      m.dispose();
    }
    const cells = [new RNNCell(3, 4), new LSTMCell(3, 4), new GRUCell(3, 4)];
    const x2 = randn([2, 3], 4);
    for (const cell of cells) {
      await assertNoLeak(
        () => {
          const { value, grads } = tf.variableGrads(() => {
            const h = cell instanceof LSTMCell ? cell.forward(x2).c : cell.forward(x2);
            return tf.sum(h) as tf.Scalar;
          });
          value.dispose();
          tf.dispose(Object.values(grads));
        },
        { label: cell.constructor.name },
      );
      cell.dispose();
    }
    tf.dispose([x, x2]);
  });
});

describe('fused whole-sequence ops against the composed per-step reference', () => {
  for (const [kind, extra] of [
    ['lstm', {}],
    ['gru', {}],
    ['rnn', {}],
    ['rnn', { nonlinearity: 'relu' }],
  ] as const) {
    it(`${kind}${'nonlinearity' in extra ? '/relu' : ''}: same outputs, states and gradients (stacked, bidirectional, batchFirst)`, () => {
      const options = { numLayers: 2, bidirectional: true, batchFirst: true, ...extra };
      const fused = make(kind, 3, 5, {
        ...options,
        implementation: 'fused',
        random: new Random(8),
      });
      const composed = make(kind, 3, 5, {
        ...options,
        implementation: 'composed',
        random: new Random(8),
      });
      expect(fused.usesFusedOp).toBe(true);
      expect(composed.usesFusedOp).toBe(false);
      const x = tf.variable(randn([2, 7, 3], 12)); // [B, T, I]
      const h0 = tf.variable(randn([4, 2, 5], 13));
      const c0 = tf.variable(randn([4, 2, 5], 14));
      const g = randn([2, 7, 10], 15);
      const run = (m: RNNBase) => {
        const vars = [...m.parameters().map((p) => p.variable), x, h0, c0];
        let outputs: Float32Array[] = [];
        const { value, grads } = tf.variableGrads(() => {
          const r = m.forwardState(x, m.mode === 'lstm' ? { h: h0, c: c0 } : { h: h0 });
          outputs = [r.output, r.state.h, ...(r.state.c ? [r.state.c] : [])].map(
            (t) => t.dataSync() as Float32Array,
          );
          let loss = tf.add(tf.sum(tf.mul(r.output, g)), tf.sum(tf.square(r.state.h)));
          if (r.state.c) loss = tf.add(loss, tf.sum(r.state.c));
          return loss as tf.Scalar;
        }, vars);
        value.dispose();
        const named = [...m.namedParameters().map(([n]) => n), 'x', 'h0', 'c0'];
        const out: Record<string, Tensor> = {};
        vars.forEach((v, i) => {
          if (grads[v.name]) out[named[i]!] = grads[v.name]!;
        });
        return { outputs, grads: out };
      };
      const a = run(fused);
      const b = run(composed);
      a.outputs.forEach((o, i) =>
        expectTensorsClose(
          { shape: [o.length], data: o },
          { shape: [o.length], data: b.outputs[i]! },
          { atol: 1e-5, name: `output ${i}` },
        ),
      );
      expect(Object.keys(a.grads).sort()).toEqual(Object.keys(b.grads).sort());
      for (const [name, t] of Object.entries(a.grads))
        expectCloseToFixture(t, b.grads[name]!, { name: `grad ${name}` });
      tf.dispose([x, h0, c0, g, ...Object.values(a.grads), ...Object.values(b.grads)]);
      fused.dispose();
      composed.dispose();
    });
  }
});

describe('RNN / LSTM / GRU errors (typed, before any tensor work)', () => {
  it('refuses bad inputs and states with messages that carry the numbers', () => {
    const m = new LSTM(5, 6, { numLayers: 2 });
    const x = tf.zeros([3, 2, 4]);
    const before = tf.memory().numTensors;
    expect(() => m.forward(x)).toThrow(ShapeError);
    expect(() => m.forward(x)).toThrow("LSTM.forward: 'input size' must be 5, got 4");
    const x3 = tf.zeros([3, 2, 5]);
    const rank4 = tf.zeros([1, 3, 2, 5]);
    const ints = tf.zeros([3, 2, 5], 'int32');
    const hBatch = tf.zeros([2, 3, 6]);
    const hLayers = tf.zeros([1, 2, 6]);
    const c = tf.zeros([2, 2, 6]);
    const n = tf.memory().numTensors;
    expect(() => m.forward(rank4)).toThrow(/must be of rank 3/);
    expect(() => m.forward(ints)).toThrow(DTypeError);
    expect(() => m.forward(x3, { h: hBatch, c: hBatch })).toThrow(
      "LSTM.forward: 'state.h batch size' must be 2 (the input's batch size), got 3",
    );
    expect(() => m.forward(x3, { h: hLayers, c })).toThrow(/numLayers \* numDirections = 2/);
    expect(() => m.forward(x3, { h: c } as never)).toThrow(/both h and c/);
    const gru = new GRU(5, 6, { bidirectional: true });
    expect(() => gru.forward(x3, hLayers)).toThrow(/numLayers \* numDirections = 2/);
    expect(tf.memory().numTensors - n).toBe(8); // only the GRU's parameters: nothing was allocated by the failed calls
    gru.dispose();
    expect(n - before).toBe(6);
    expect(() => new RNN(5, 0)).toThrow(InvalidArgumentError);
    expect(() => new RNN(5, 3, { nonlinearity: 'sigmoid' as 'tanh' })).toThrow(/nonlinearity/);
    expect(() => new LSTM(5, 3, { dropout: 1.5 })).toThrow(/dropout/);
    const bi = new GRU(5, 6, { bidirectional: true });
    const step = tf.zeros([2, 5]);
    expect(() => bi.stepState(step)).toThrow(/a bidirectional layer cannot step/);
    bi.dispose();
    step.dispose();
    const cell = new RNNCell(5, 3);
    expect(() => cell.forward(x)).toThrow(/rank 2/);
    const [cx, ch] = [tf.zeros([2, 5]), tf.zeros([4, 3])];
    expect(() => cell.forward(cx, ch)).toThrow(
      "RNNCell.forward: 'h batch size' must be 2 (the input's batch size), got 4",
    );
    tf.dispose([x, x3, rank4, ints, hBatch, hLayers, c, cx, ch]);
    m.dispose();
    cell.dispose();
  });
});
