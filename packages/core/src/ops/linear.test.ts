// linear: values and the gradients of x, weight and bias against the composed x·transpose(W) + b
// under autograd, including the word LM head's shape (a long shared side on the input gradient),
// without a bias, and bad shapes.
import { beforeAll, describe, expect, it } from 'vitest';
import { DTypeError, init, Random, ShapeError, tf, type Tensor } from '../index';
import { maxAbsDiff } from '../testing';
import { linear } from './linear';

beforeAll(async () => {
  await init();
});

function randomTensor(rng: Random, shape: number[]): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.variable(
    tf.tensor(
      Float32Array.from({ length: n }, () => rng.normal()),
      shape,
    ),
  );
}

/** y and the gradients of Σ y·r (r random) for x, weight and bias. */
function run(
  f: (x: Tensor, w: Tensor, b: Tensor | null) => Tensor,
  x: tf.Variable,
  w: tf.Variable,
  b: tf.Variable | null,
  r: Tensor,
): Float32Array[] {
  const vars = b ? [x, w, b] : [x, w];
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(x, w, b), r)) as tf.Scalar, vars);
  const y = tf.tidy(() => f(x, w, b));
  const out = [
    y.dataSync() as Float32Array,
    ...vars.map((v) => grads[v.name]!.dataSync() as Float32Array),
  ];
  tf.dispose([value, y, ...Object.values(grads)]);
  return out;
}

const composed = (x: Tensor, w: Tensor, b: Tensor | null): Tensor =>
  tf.tidy(() => (b ? tf.add(tf.matMul(x, tf.transpose(w)), b) : tf.matMul(x, tf.transpose(w))));

describe('linear', () => {
  for (const [N, inF, outF, bias] of [
    [7, 5, 3, true],
    [35, 256, 28, true],
    [300, 64, 4100, true],
    [16, 33, 9, false],
  ] as const) {
    it(`matches x·transpose(W) + b and its autograd: x [${N}, ${inF}], weight [${outF}, ${inF}]${bias ? '' : ', no bias'}`, () => {
      const rng = new Random(N + inF + outF);
      const x = randomTensor(rng, [N, inF]);
      const w = randomTensor(rng, [outF, inF]);
      const b = bias ? randomTensor(rng, [outF]) : null;
      const r = randomTensor(rng, [N, outF]);
      const before = tf.memory().numTensors;
      const fast = run(linear, x, w, b, r);
      expect(tf.memory().numTensors).toBe(before);
      const ref = run(composed, x, w, b, r);
      const scale = Math.sqrt(Math.max(inF, N, outF));
      for (let i = 0; i < ref.length; i++)
        expect(maxAbsDiff(fast[i]!, ref[i]!)).toBeLessThan(1e-4 * scale);
      tf.dispose([x, w, r, ...(b ? [b] : [])]);
    });
  }

  it('rejects mismatched shapes and dtypes, naming the argument', () => {
    const x = tf.zeros([2, 3]);
    const w = tf.zeros([4, 5]);
    const w2 = tf.zeros([4, 3]);
    const b = tf.zeros([5]);
    const ints = tf.zeros([2, 3], 'int32');
    expect(() => linear(x, w)).toThrow(ShapeError);
    expect(() => linear(x, w)).toThrow(/weight/);
    expect(() => linear(x, w2, b)).toThrow(/bias.*\[4\]/s);
    expect(() => linear(ints, w2)).toThrow(DTypeError);
    tf.dispose([x, w, w2, b, ints]);
  });
});
