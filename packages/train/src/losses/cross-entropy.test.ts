import { DTypeError, InvalidArgumentError, ShapeError, assertNoLeak, init, tf } from '@recurrent/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from './cross-entropy';

beforeAll(async () => {
  await init();
});

/** -log softmax(row)[t] in double precision. */
function nll(row: number[], t: number): number {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return lse - row[t]!;
}

describe('crossEntropy', () => {
  const rows = [
    [1, 2, 3],
    [0.5, -1, 2],
    [3, 3, -2],
    [0, 0, 0],
  ];
  const targets = [2, 0, 1, 2];

  it('matches a direct computation for [B, T, V] logits with the class axis last', () => {
    const logits = tf.tensor3d([rows.slice(0, 2), rows.slice(2)]); // [2, 2, 3]
    const y = tf.tensor2d([targets.slice(0, 2), targets.slice(2)], [2, 2], 'int32');
    const none = crossEntropy(logits, y, { reduction: 'none' });
    expect(none.shape).toEqual([2, 2]);
    const want = rows.map((r, i) => nll(r, targets[i]!));
    Array.from(none.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    const mean = crossEntropy(logits, y).dataSync()[0]!;
    expect(mean).toBeCloseTo(want.reduce((a, b) => a + b) / 4, 5);
    const sum = crossEntropy(logits, y, { reduction: 'sum' }).dataSync()[0]!;
    expect(sum).toBeCloseTo(want.reduce((a, b) => a + b), 5);
    tf.dispose([logits, y, none]);
  });

  it('is finite for logits of magnitude 1e4 (stable log-softmax)', () => {
    const logits = tf.tensor2d([[1e4, -1e4, 0]]);
    const y = tf.tensor1d([1], 'int32');
    const v = crossEntropy(logits, y).dataSync()[0]!;
    expect(v).toBeCloseTo(2e4, 0);
    tf.dispose([logits, y]);
  });

  it('weights targets by a mask and divides the mean by the mask sum', () => {
    const logits = tf.tensor2d(rows);
    const y = tf.tensor1d(targets, 'int32');
    const mask = tf.tensor1d([1, 0, 1, 0]);
    const got = crossEntropy(logits, y, { mask }).dataSync()[0]!;
    expect(got).toBeCloseTo((nll(rows[0]!, 2) + nll(rows[2]!, 1)) / 2, 5);
    tf.dispose([logits, y, mask]);
  });

  it('ignores targets equal to ignoreIndex, with zero gradient on their rows', () => {
    const logits = tf.tensor2d(rows);
    const y = tf.tensor1d([2, -100, 1, -100], 'int32');
    const g = tf.grad((x: tf.Tensor) => crossEntropy(x, y))(logits);
    const data = g.arraySync() as number[][];
    expect(data[1]!.map(Math.abs)).toEqual([0, 0, 0]);
    expect(data[3]!.map(Math.abs)).toEqual([0, 0, 0]);
    // Softmax minus one-hot over the 2 counted rows.
    expect(data[0]![2]!).toBeLessThan(0);
    tf.dispose([logits, y, g]);
  });

  it('rejects a target outside [0, C) that is not ignoreIndex, as PyTorch does, naming targets and the value', () => {
    const logits = tf.tensor2d(rows);
    const y = tf.tensor1d([2, 3, 1, 0], 'int32');
    expect(() => crossEntropy(logits, y)).toThrow(InvalidArgumentError);
    expect(() => crossEntropy(logits, y)).toThrow(/targets.*\[0, 3\).*got "3 at index 1"/s);
    const before = tf.memory().numTensors;
    expect(() => crossEntropy(logits, y)).toThrow();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, y]);
  });

  it('applies label smoothing as PyTorch: (1 - e) * nll + e * mean over classes of -log p', () => {
    const logits = tf.tensor2d([rows[0]!]);
    const y = tf.tensor1d([0], 'int32');
    const e = 0.2;
    const got = crossEntropy(logits, y, { labelSmoothing: e }).dataSync()[0]!;
    const uniform = [0, 1, 2].reduce((s, c) => s + nll(rows[0]!, c), 0) / 3;
    expect(got).toBeCloseTo((1 - e) * nll(rows[0]!, 0) + e * uniform, 5);
    tf.dispose([logits, y]);
  });

  it('refuses wrong dtypes and shapes before allocating', () => {
    const logits = tf.tensor2d(rows);
    const yf = tf.tensor1d([0, 1, 2, 0]);
    const yShort = tf.tensor1d([0, 1], 'int32');
    expect(() => crossEntropy(logits, yf)).toThrow(DTypeError);
    expect(() => crossEntropy(logits, yShort)).toThrow(ShapeError);
    expect(() => crossEntropy(logits, yShort)).toThrow(/crossEntropy: 'targets' must be shape \[4\]/);
    tf.dispose([logits, yf, yShort]);
  });

  it('does not leak', async () => {
    const logits = tf.tensor2d(rows);
    const y = tf.tensor1d(targets, 'int32');
    await assertNoLeak(() => {
      tf.grad((x: tf.Tensor) => crossEntropy(x, y, { labelSmoothing: 0.1 }))(logits).dispose();
    });
    tf.dispose([logits, y]);
  });
});
