import { beforeAll, describe, expect, it } from 'vitest';
import { assertNoLeak, init, InvalidArgumentError, Random, tf, type Tensor } from '../index';
import { maxAbsDiff } from '../testing';
import { gruSequence, lstmSequence, rnnSequence } from './sequence';

beforeAll(async () => {
  await init();
});

type Kind = 'lstm' | 'gru' | 'rnn';
const gatesOf: Record<Kind, number> = { lstm: 4, gru: 3, rnn: 1 };

function randomTensor(rng: Random, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale),
    shape,
  );
}

/** The op on x (ids or their one-hot vectors) with a random linear loss; values and gradients of every weight and state. */
function run(
  kind: Kind,
  x: Tensor,
  w: Tensor[],
  h0: Tensor,
  c0: Tensor,
  g: Tensor[],
  reverse: boolean,
): Record<string, Float32Array> {
  const [wIh, wHh, bIh, bHh] = w as [Tensor, Tensor, Tensor, Tensor];
  let outs: Tensor[] = [];
  const outValues: Float32Array[] = [];
  const f = (wi: Tensor, wh: Tensor, bi: Tensor, bh: Tensor, h: Tensor, c: Tensor): Tensor => {
    if (kind === 'lstm') {
      const r = lstmSequence(x, h, c, wi, wh, bi, bh, { reverse });
      outs = [r.output, r.h, r.c];
    } else {
      const r =
        kind === 'gru'
          ? gruSequence(x, h, wi, wh, bi, bh, { reverse })
          : rnnSequence(x, h, wi, wh, bi, bh, { reverse });
      outs = [r.output, r.h];
    }
    outs.forEach((o) => outValues.push(o.dataSync() as Float32Array));
    return tf.addN(outs.map((o, i) => tf.sum(tf.mul(o, g[i]!))));
  };
  const args = kind === 'lstm' ? [wIh, wHh, bIh, bHh, h0, c0] : [wIh, wHh, bIh, bHh, h0];
  const { grads, value } = tf.valueAndGrads((...ts: Tensor[]) =>
    f(ts[0]!, ts[1]!, ts[2]!, ts[3]!, ts[4]!, ts[5]!),
  )(args);
  const names = ['wIh', 'wHh', 'bIh', 'bHh', 'h0', 'c0'];
  const result: Record<string, Float32Array> = { loss: value.dataSync() as Float32Array };
  outValues.forEach((o, i) => (result[`out${i}`] = o));
  grads.forEach((gr, i) => (result[`d${names[i]}`] = gr.dataSync() as Float32Array));
  return result;
}

describe('whole-sequence ops on token ids equal the ops on their one-hot vectors', () => {
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    for (const reverse of [false, true]) {
      it(`${kind}${reverse ? ' reverse' : ''}: outputs and every gradient`, () => {
        const rng = new Random(kind.length * 10 + (reverse ? 1 : 0));
        const [T, B, V, H] = [5, 3, 7, 5]; // G = 20, 15, 5: the unrolled scatter-add and its tail
        const G = gatesOf[kind] * H;
        tf.tidy(() => {
          const idv = Int32Array.from({ length: T * B }, () => rng.randint(0, V - 1));
          idv[0] = idv[1]!; // a repeated id: its gradient rows add up
          const ids = tf.tensor2d(idv, [T, B], 'int32');
          const oneHot = tf.cast(tf.oneHot(ids, V), 'float32'); // [T, B, V]
          const w = [
            randomTensor(rng, [G, V], 0.5),
            randomTensor(rng, [G, H], 0.5),
            randomTensor(rng, [G], 0.5),
            randomTensor(rng, [G], 0.5),
          ];
          const h0 = randomTensor(rng, [B, H], 0.5);
          const c0 = randomTensor(rng, [B, H], 0.5);
          const g = [
            randomTensor(rng, [T, B, H]),
            randomTensor(rng, [B, H]),
            randomTensor(rng, [B, H]),
          ];
          const a = run(kind, ids, w, h0, c0, g, reverse);
          const b = run(kind, oneHot, w, h0, c0, g, reverse);
          expect(Object.keys(a)).toEqual(Object.keys(b));
          for (const k of Object.keys(a)) {
            expect(maxAbsDiff(a[k]!, b[k]!), k).toBeLessThan(1e-4);
            if (k.startsWith('out'))
              expect(
                maxAbsDiff(a[k]!, b[k]!),
                `${k} (a lookup adds the same numbers)`,
              ).toBeLessThan(1e-6);
          }
          expect(maxAbsDiff(a.dwIh!, new Float32Array(a.dwIh!.length))).toBeGreaterThan(1e-3); // not trivially zero
        });
      });
    }
  }

  it('refuses ids outside [0, I) and does not leak', async () => {
    const rng = new Random(3);
    const w = [randomTensor(rng, [4, 3]), randomTensor(rng, [4, 1])];
    const h0 = tf.zeros([2, 1]);
    const bad = tf.tensor2d([[0, 3]], [1, 2], 'int32');
    expect(() => lstmSequence(bad, h0, h0, w[0]!, w[1]!, null, null)).toThrow(InvalidArgumentError);
    expect(() => lstmSequence(bad, h0, h0, w[0]!, w[1]!, null, null)).toThrow(
      /token ids in \[0, 3\)/,
    );
    const ids = tf.tensor2d(
      [
        [0, 2],
        [1, 1],
      ],
      [2, 2],
      'int32',
    );
    const v = w.map((t) => tf.variable(t));
    await assertNoLeak(
      () => {
        const { value, grads } = tf.variableGrads(
          () => tf.sum(lstmSequence(ids, h0, h0, v[0]!, v[1]!, null, null).output) as tf.Scalar,
        );
        tf.dispose([value, ...Object.values(grads)]);
      },
      { runs: 3 },
    );
    tf.dispose([...w, ...v, h0, bad, ids]);
  });
});
