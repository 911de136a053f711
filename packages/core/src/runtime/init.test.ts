import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { init, tf } from '../index';

describe('init', () => {
  it('starts the wasm backend with SIMD in Node and reports it', async () => {
    // tfjs's binary comes from this package's inlined module: no .wasm file is read from disk.
    const reads = vi.spyOn(fs, 'readFileSync');
    const info = await init();
    expect(info).toEqual({
      backend: 'wasm',
      simd: true,
      // our kernels' pool: every core, at most 8 (module/threads.test.ts covers the choice)
      threads: Math.min(8, availableParallelism()),
      threadsFallback: null,
      binary: 'inline',
      fallback: null,
    });
    expect(reads.mock.calls.filter(([path]) => String(path).endsWith('.wasm'))).toEqual([]);
    reads.mockRestore();
    expect(tf.getBackend()).toBe('wasm');
    // twice is harmless and returns the same report
    expect(await init()).toEqual(info);
  });

  it('registers gradients so autograd works', async () => {
    await init();
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.tanh(x)));
    const dx = g(tf.tensor1d([0, 1]));
    const want = [1, 1 - Math.tanh(1) ** 2];
    const got = Array.from(dx.dataSync());
    expect(got[0]).toBeCloseTo(want[0]!, 5);
    expect(got[1]).toBeCloseTo(want[1]!, 5);
  });

  it('switches to the cpu backend on request and back', async () => {
    expect((await init({ backend: 'cpu' })).backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await init({ backend: 'wasm' })).backend).toBe('wasm');
  });

  it('refuses an unknown backend with a typed error', async () => {
    await expect(init({ backend: 'webgl' as never })).rejects.toThrow(
      /init: 'options.backend' must be 'wasm' or 'cpu', got "webgl"/,
    );
  });
});
