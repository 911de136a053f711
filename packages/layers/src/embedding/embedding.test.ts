import { assertNoLeak, DTypeError, init, Random, tf, VocabError } from '@recurrent/core';
import { expectTensorsClose } from '@recurrent/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { Embedding } from './embedding';
import { oneHot } from './one-hot';

beforeAll(async () => {
  await init();
});

describe('Embedding', () => {
  it('looks rows up for ids of any shape; repeated ids accumulate; the padding row gets no gradient', () => {
    const e = new Embedding(5, 3, { paddingIdx: 1, random: new Random(0) });
    const w = e.weight.value.arraySync() as number[][];
    expect(w[1]).toEqual([0, 0, 0]); // the padding row starts at zero
    e.weight.assign(tf.ones([5, 3]));
    const ids = tf.tensor2d(
      [
        [2, 2, 1],
        [4, 2, 0],
      ],
      [2, 3],
      'int32',
    );
    const out = e.forward(ids);
    expect(out.shape).toEqual([2, 3, 3]);
    expect((out.arraySync() as number[][][])[0]![2]).toEqual([1, 1, 1]); // the stored padding row is returned
    const g = tf.variableGrads(
      () => tf.sum(tf.mul(e.forward(ids), tf.reshape(tf.range(0, 18), [2, 3, 3]))) as tf.Scalar,
    );
    const grad = g.grads[e.weight.variable.name]!.arraySync() as number[][];
    // row 2 appears at positions (0,0), (0,1), (1,1): 0+3+12, 1+4+13, 2+5+14
    expect(grad[2]).toEqual([15, 18, 21]);
    expect(grad[1]).toEqual([0, 0, 0]);
    expect(grad[3]).toEqual([0, 0, 0]);
    expect(grad[0]).toEqual([15, 16, 17]);
    tf.dispose([ids, out, g.value, ...Object.values(g.grads)]);
    e.dispose();
  });

  it('refuses ids out of range, negative, non-integer or not int32, naming the id', () => {
    const e = new Embedding(4, 2);
    const bad = tf.tensor1d([0, 3, 4], 'int32');
    const neg = tf.tensor1d([0, -1], 'int32');
    const frac = tf.tensor1d([0, 1.5]);
    const float = tf.tensor1d([0, 1]);
    expect(() => e.forward(bad)).toThrow(VocabError);
    expect(() => e.forward(bad)).toThrow(
      'Embedding.forward: \'ids\' must be token ids in [0, 4), got "id 4 at index 2"',
    );
    expect(() => e.forward(neg)).toThrow(/id -1 at index 1/);
    expect(() => e.forward(frac)).toThrow(DTypeError);
    expect(() => e.forward(frac)).toThrow(/non-integer id 1.5 at index 1/);
    expect(() => e.forward(float)).toThrow(/int32/);
    expect(() => new Embedding(4, 2, { paddingIdx: 4 })).toThrow(/paddingIdx/);
    expect(new Embedding(4, 2, { paddingIdx: -1 }).paddingIdx).toBe(3);
    tf.dispose([bad, neg, frac, float]);
    e.dispose();
  });

  it('does not leak through forward + backward', async () => {
    const e = new Embedding(6, 4, { paddingIdx: 0 });
    const ids = tf.tensor2d(
      [
        [1, 0],
        [5, 5],
      ],
      [2, 2],
      'int32',
    );
    await assertNoLeak(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(e.forward(ids))) as tf.Scalar,
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    ids.dispose();
    e.dispose();
  });
});

describe('oneHot', () => {
  it('encodes int32 ids as float32 vectors and checks them', () => {
    const ids = tf.tensor2d([[0, 2]], [1, 2], 'int32');
    const y = oneHot(ids, 3);
    expect(y.dtype).toBe('float32');
    expectTensorsClose(y, { shape: [1, 2, 3], data: [1, 0, 0, 0, 0, 1] });
    expect(() => oneHot(ids, 2)).toThrow(VocabError);
    expect(() => oneHot(ids, 0)).toThrow(/depth/);
    tf.dispose([ids, y]);
  });
});
