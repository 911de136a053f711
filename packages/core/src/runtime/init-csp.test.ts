// init() on a page whose Content Security Policy forbids compiling WebAssembly: the engine's
// refusal is simulated with Chrome's message (the browser test of examples/ checks a real one).
import { describe, expect, it, vi } from 'vitest';
import { init, tf } from '../index';

const CHROME_CSP =
  "WebAssembly.compile(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script in the following Content Security Policy directive: \"script-src 'self'\"";

describe('init: WebAssembly forbidden by CSP', () => {
  it('falls back to cpu with reason csp and one warning via console.warn', async () => {
    vi.spyOn(WebAssembly, 'compile').mockRejectedValue(new WebAssembly.CompileError(CHROME_CSP));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const info = await init();
    expect(info).toMatchObject({
      backend: 'cpu',
      simd: false,
      threads: 1,
      binary: null,
      fallback: { reason: 'csp' },
    });
    expect(info.fallback!.message).toMatch(
      /Content Security Policy forbids compiling WebAssembly \(add 'wasm-unsafe-eval' to script-src\)/,
    );
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(`@recurrent/core: ${info.fallback!.message}`);
    expect(tf.getBackend()).toBe('cpu');
    // Tensors work on the fallback.
    const x = tf.tensor1d([1, 2]);
    expect(Array.from(tf.square(x).dataSync())).toEqual([1, 4]);
    tf.dispose(x);
  });
});
