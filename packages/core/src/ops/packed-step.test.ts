import { beforeAll, describe, expect, it } from 'vitest';
import { assertNoLeak, init, InvalidArgumentError, Random, tf, type Tensor } from '../index';
import { maxAbsDiff } from '../testing';
import { gruCellStep, lstmCellStep, rnnCellStep } from './composed-cells';
import { gruStep, lstmStep, packStepWeights, rnnStep } from './packed-step';

beforeAll(async () => {
  await init();
});

function randomTensor(rng: Random, shape: number[], scale = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal() * scale),
    shape,
  );
}

describe('packed single steps equal the composed cell steps', () => {
  for (const [B, I, H, bias] of [
    [1, 5, 7, true],
    [3, 2, 4, false],
    [4, 6, 3, true],
  ] as const) {
    it(`B=${B} I=${I} H=${H} bias=${bias}`, () => {
      const rng = new Random(B * 100 + I);
      tf.tidy(() => {
        const x = randomTensor(rng, [B, I]);
        const h = randomTensor(rng, [B, H], 0.5);
        const c = randomTensor(rng, [B, H], 0.5);
        for (const G of [4, 3, 1]) {
          const wIh = randomTensor(rng, [G * H, I], 0.6);
          const wHh = randomTensor(rng, [G * H, H], 0.6);
          const bIh = bias ? randomTensor(rng, [G * H], 0.5) : null;
          const bHh = bias ? randomTensor(rng, [G * H], 0.5) : null;
          if (G === 4) {
            const p = packStepWeights('lstm', wIh, wHh, bIh, bHh);
            const a = lstmStep(x, h, c, p);
            const b = lstmCellStep(x, h, c, wIh, wHh, bIh, bHh);
            expect(maxAbsDiff(a.h.dataSync(), b.h.dataSync())).toBeLessThan(1e-5);
            expect(maxAbsDiff(a.c.dataSync(), b.c.dataSync())).toBeLessThan(1e-5);
            p.dispose();
          } else if (G === 3) {
            const p = packStepWeights('gru', wIh, wHh, bIh, bHh);
            expect(
              maxAbsDiff(
                gruStep(x, h, p).dataSync(),
                gruCellStep(x, h, wIh, wHh, bIh, bHh).dataSync(),
              ),
            ).toBeLessThan(1e-5);
            p.dispose();
          } else {
            for (const nl of ['tanh', 'relu'] as const) {
              const p = packStepWeights('rnn', wIh, wHh, bIh, bHh, { nonlinearity: nl });
              expect(
                maxAbsDiff(
                  rnnStep(x, h, p).dataSync(),
                  rnnCellStep(x, h, wIh, wHh, bIh, bHh, nl).dataSync(),
                ),
              ).toBeLessThan(1e-5);
              p.dispose();
            }
          }
        }
      });
    });
  }

  it('stepValues with token ids (a row lookup) equals the step on their one-hot vectors', () => {
    const rng = new Random(7);
    const [B, I, H] = [3, 6, 5];
    const ids = [4, 0, 5];
    tf.tidy(() => {
      const x = tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), I), 'float32'); // [B, I]
      const h = randomTensor(rng, [B, H], 0.5);
      const c = randomTensor(rng, [B, H], 0.5);
      for (const [kind, G, nonlinearity] of [
        ['lstm', 4, 'tanh'],
        ['gru', 3, 'tanh'],
        ['rnn', 1, 'tanh'],
        ['rnn', 1, 'relu'],
      ] as const) {
        const wIh = randomTensor(rng, [G * H, I], 0.6);
        const wHh = randomTensor(rng, [G * H, H], 0.6);
        const p = packStepWeights(
          kind,
          wIh,
          wHh,
          randomTensor(rng, [G * H], 0.5),
          randomTensor(rng, [G * H], 0.5),
          { nonlinearity },
        );
        const cv = kind === 'lstm' ? (c.dataSync() as Float32Array) : null;
        const byIds = p.stepValues({ ids }, h.dataSync() as Float32Array, cv, B);
        const byX = p.stepValues(
          { x: x.dataSync() as Float32Array },
          h.dataSync() as Float32Array,
          cv,
          B,
        );
        expect(maxAbsDiff(byIds.h, byX.h)).toBeLessThan(1e-6);
        if (kind === 'lstm') expect(maxAbsDiff(byIds.c!, byX.c!)).toBeLessThan(1e-6);
        else expect(byIds.c).toBeNull();
        p.dispose();
      }
    });
  });

  it('rejects weights packed for another cell and bad shapes, and does not leak', async () => {
    const rng = new Random(1);
    const wIh = randomTensor(rng, [12, 2]);
    const wHh = randomTensor(rng, [12, 4]);
    const p = packStepWeights('gru', wIh, wHh, null, null);
    const x = tf.zeros([1, 2]);
    const h = tf.zeros([1, 4]);
    expect(() => lstmStep(x, h, h, p)).toThrow(InvalidArgumentError);
    expect(() => gruStep(tf.zeros([1, 3]), h, p)).toThrow(/'x' must be of shape \[B, 2\]/);
    expect(() => packStepWeights('lstm', wIh, wHh, null, null)).toThrow(/'wHh'/);
    await assertNoLeak(() => gruStep(x, h, p).dispose(), { runs: 3 });
    tf.dispose([wIh, wHh, x, h]);
    p.dispose();
  });
});
