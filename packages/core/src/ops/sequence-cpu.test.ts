import { beforeAll, describe, expect, it } from 'vitest';
import { init, Random, tf, type Tensor } from '../index';
import { maxAbsDiff } from '../testing';
import {
  gruSequenceComposed,
  lstmSequenceComposed,
  rnnSequenceComposed,
} from './composed-sequence';
import { gruSequence, lstmSequence, rnnSequence } from './sequence';

// Our module's route runs on the cpu backend too (its own memory; tensors read through dataSync),
// e.g. where tfjs's wasm binaries were not found.
beforeAll(async () => {
  await init({ backend: 'cpu' });
});

function randomTensor(rng: Random, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale),
    shape,
  );
}

describe('the sequence ops on the cpu backend', () => {
  it('runs on cpu', () => {
    expect(tf.getBackend()).toBe('cpu');
  });
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    it(`${kind}: values and gradients equal the composed steps`, () => {
      const rng = new Random(11);
      const G = { lstm: 4, gru: 3, rnn: 1 }[kind];
      tf.tidy(() => {
        const [T, B, I, H] = [4, 3, 2, 5];
        const x = randomTensor(rng, [T, B, I]);
        const h0 = randomTensor(rng, [B, H], 0.5);
        const c0 = randomTensor(rng, [B, H], 0.5);
        const ws = [
          randomTensor(rng, [G * H, I], 0.5),
          randomTensor(rng, [G * H, H], 0.5),
          randomTensor(rng, [G * H], 0.5),
          randomTensor(rng, [G * H], 0.5),
        ];
        const f =
          (fused: boolean) =>
          (xx: Tensor, hh: Tensor, wi: Tensor, wh: Tensor, bi: Tensor, bh: Tensor) => {
            const r =
              kind === 'lstm'
                ? (fused ? lstmSequence : lstmSequenceComposed)(xx, hh, c0, wi, wh, bi, bh, {
                    reverse: true,
                  })
                : kind === 'gru'
                  ? (fused ? gruSequence : gruSequenceComposed)(xx, hh, wi, wh, bi, bh)
                  : (fused ? rnnSequence : rnnSequenceComposed)(xx, hh, wi, wh, bi, bh, {
                      nonlinearity: 'tanh',
                    });
            return tf.add(tf.sum(tf.mul(r.output, r.output)), tf.sum(r.h));
          };
        const a = tf.grads(f(true))([x, h0, ...ws]);
        const b = tf.grads(f(false))([x, h0, ...ws]);
        a.forEach((g, i) => expect(maxAbsDiff(g.dataSync(), b[i]!.dataSync())).toBeLessThan(1e-4));
      });
    });
  }
});
