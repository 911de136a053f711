import { init, tf } from '@recurrent/core';
import { Parameter } from '@recurrent/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradValue } from './clip-grad';

beforeAll(async () => {
  await init();
});

function withGrad(value: number[], grad: number[]): Parameter {
  const t = tf.tensor1d(value);
  const p = new Parameter(t);
  t.dispose();
  p.setGrad(tf.tensor1d(grad));
  return p;
}

describe('clipGradNorm', () => {
  it('returns the infinity norm and scales by maxNorm / (norm + 1e-6)', () => {
    const a = withGrad([0, 0], [3, -8]);
    const b = withGrad([0], [4]);
    const total = clipGradNorm([a, b], 2, Infinity);
    expect(total).toBe(8);
    expect(a.grad!.dataSync()[1]).toBeCloseTo(-8 * (2 / (8 + 1e-6)), 6);
    a.dispose();
    b.dispose();
  });

  it('computes a p-norm for other norm types and skips parameters without gradients', () => {
    const a = withGrad([0, 0], [1, -2]);
    const b = new Parameter(tf.tensor1d([5]));
    const total = clipGradNorm([a, b], 100, 1);
    expect(total).toBeCloseTo(3, 6);
    expect(Array.from(a.grad!.dataSync())).toEqual([1, -2]);
    expect(b.grad).toBeNull();
    expect(() => clipGradNorm([a], -1)).toThrow(/maxNorm/);
    a.dispose();
    b.dispose();
  });
});

describe('clipGradValue', () => {
  it('clamps every element', () => {
    const a = withGrad([0, 0, 0], [3, -8, 0.5]);
    clipGradValue([a], 1);
    expect(Array.from(a.grad!.dataSync())).toEqual([1, -1, 0.5]);
    a.dispose();
  });
});
