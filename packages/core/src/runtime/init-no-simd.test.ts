// init() on an engine without WebAssembly SIMD (tfjs's SIMD probe answers false): tfjs's plain
// binary, from this package's inlined copy, and the reason in the report.
import { availableParallelism } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { init, tf } from '../index';
import { moduleVariant } from '../module/route';

describe('init: no WebAssembly SIMD', () => {
  it('runs the plain wasm build, reports no-simd once, and computes', async () => {
    tf.env().set('WASM_HAS_SIMD_SUPPORT', false);
    const warnings: string[] = [];
    const info = await init({ onWarning: (m) => warnings.push(m) });
    expect(info).toMatchObject({
      backend: 'wasm',
      simd: false,
      // our own module has SIMD here (only tfjs's probe said no), and its threads
      threads: Math.min(8, availableParallelism()),
      binary: 'inline',
      fallback: { reason: 'no-simd' },
    });
    expect(warnings).toEqual([`@recurrent/core: ${info.fallback!.message}`]);
    expect(tf.getBackend()).toBe('wasm');
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(Array.from(tf.matMul(a, a).dataSync())).toEqual([7, 10, 15, 22]);
    tf.dispose(a);
    // Our own module is SIMD-only: it runs where the engine validates it (here it does; only tfjs's
    // probe was told otherwise), independent of tfjs's binary.
    expect(moduleVariant()).toMatch(/simd/);
    vi.restoreAllMocks();
  });
});
