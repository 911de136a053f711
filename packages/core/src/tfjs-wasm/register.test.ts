import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, tf } from '../index';
import { setModuleGemmEnabled } from '../tuning';
import { registerWasmFixes, unregisterWasmFixes, wasmFixesRegistered } from './register';

beforeAll(async () => {
  await init();
});

afterAll(() => {
  registerWasmFixes();
});

describe('registerWasmFixes', () => {
  it('is installed by init() and idempotent', () => {
    expect(wasmFixesRegistered()).toBe(true);
    const before = [
      'BatchMatMul',
      '_FusedMatMul',
      'Slice',
      'Unpack',
      'SplitV',
      'UnsortedSegmentSum',
    ].map((k) => tf.getKernel(k, 'wasm'));
    registerWasmFixes();
    registerWasmFixes();
    const after = [
      'BatchMatMul',
      '_FusedMatMul',
      'Slice',
      'Unpack',
      'SplitV',
      'UnsortedSegmentSum',
    ].map((k) => tf.getKernel(k, 'wasm'));
    expect(after).toEqual(before);
    after.forEach((k, i) => expect(k).toBe(before[i]));
  });

  it('can be taken off, bringing back the stock kernels and their trap, and put back', () => {
    const ours = tf.getKernel('BatchMatMul', 'wasm');
    unregisterWasmFixes();
    expect(wasmFixesRegistered()).toBe(false);
    expect(tf.getKernel('BatchMatMul', 'wasm')).not.toBe(ours);
    const w = tf.randomNormal([5, 3]);
    const ids = tf.tensor1d([0, 4, 4], 'int32');
    const grad = () => tf.dispose(tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, ids)))(w));
    expect(grad).toThrow(/UnsortedSegmentSum/);
    registerWasmFixes();
    expect(wasmFixesRegistered()).toBe(true);
    expect(grad).not.toThrow();
    tf.dispose([w, ids]);
  });

  it('sends every transposed or left-batched product to the stock kernel untransposed with batch 1 (its XNNPACK path)', () => {
    const seen: string[] = [];
    unregisterWasmFixes();
    const stock = tf.getKernel('BatchMatMul', 'wasm');
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({
      ...stock,
      kernelFunc: (args) => {
        const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const { transposeA, transposeB } = args.attrs as {
          transposeA: boolean;
          transposeB: boolean;
        };
        const batch = (s: number[]) => s.slice(0, -2).reduce((x, y) => x * y, 1);
        seen.push(`${transposeA}/${transposeB}/${batch(a.shape)}/${batch(b.shape)}`);
        return stock.kernelFunc(args);
      },
    });
    setModuleGemmEnabled(false); // this routes products to XNNPACK (the path without our GEMM)
    try {
      registerWasmFixes();
      const a = tf.randomNormal([4, 16, 32]);
      const w = tf.randomNormal([32, 24]);
      const aa = tf.reshape(a, [64, 32]);
      tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([aa, w])); // dx: A·Wᵀ, dW: Xᵀ·B
      const at = tf.transpose(aa);
      tf.dispose([
        tf.matMul(a, w),
        tf.matMul(aa, aa, true, false),
        tf.matMul(aa, aa, false, true),
        tf.matMul(aa, at, true, true),
        at,
        aa,
        a,
        w,
      ]);
    } finally {
      setModuleGemmEnabled(true);
      unregisterWasmFixes();
      tf.unregisterKernel('BatchMatMul', 'wasm');
      tf.registerKernel(stock);
      registerWasmFixes();
    }
    expect(seen.length).toBeGreaterThanOrEqual(6);
    expect(new Set(seen)).toEqual(new Set(['false/false/1/1']));
  });

  it('slices and unstacks without reading the whole input back from the heap', () => {
    const backend = tf.backend() as unknown as { readSync: (...args: unknown[]) => unknown };
    const x = tf.randomNormal([35, 8, 16]);
    const original = backend.readSync;
    let reads = 0;
    backend.readSync = function (this: unknown, ...args: unknown[]) {
      reads++;
      return original.apply(this, args);
    };
    try {
      tf.dispose([tf.slice(x, [3, 0, 0], [1, 8, 16]), ...tf.unstack(x), ...tf.split(x, 4, 2)]);
      expect(reads).toBe(0);
      unregisterWasmFixes();
      tf.dispose(tf.slice(x, [3, 0, 0], [1, 8, 16]));
      expect(reads).toBe(1); // the stock kernel copies all 35 steps to return one
    } finally {
      backend.readSync = original;
      registerWasmFixes();
      x.dispose();
    }
  });
});
