// init() when tfjs's binary is not where the caller said (its own file, so tfjs has started no
// backend in this process yet).
import { describe, expect, it, vi } from 'vitest';
import { init, tf } from '../index';

describe('init: binary not found', () => {
  it('falls back to cpu with reason binary-not-found, one warning and nothing else printed', async () => {
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const warnings: string[] = [];
    const info = await init({
      wasmPaths: '/nonexistent-recurrent-dir/',
      onWarning: (m) => warnings.push(m),
    });
    expect(info).toMatchObject({
      backend: 'cpu',
      simd: false,
      binary: null,
      fallback: { reason: 'binary-not-found' },
    });
    expect(warnings).toEqual([`@recurrent/core: ${info.fallback!.message}`]);
    expect(info.fallback!.message).toMatch(
      /tfjs-backend-wasm could not be loaded; falling back to the cpu backend.*nonexistent-recurrent-dir/,
    );
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    expect(tf.getBackend()).toBe('cpu');
    // Asked again: the same answer, no second warning.
    expect(await init({ onWarning: (m) => warnings.push(m) })).toBe(info);
    expect(warnings).toHaveLength(1);
  });
});
