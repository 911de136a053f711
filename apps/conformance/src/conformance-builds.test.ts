// Conformance beyond the default arrangement: every PyTorch case on our module's relaxed-SIMD
// build (the one Node 22+ and Chrome load; Node 20 needs --experimental-wasm-relaxed-simd, set here
// before the module is compiled: test files run in their own processes), and on the CPU
// fallback (tfjs's cpu backend, where tfjs's own .wasm was not found), on both routes.
import v8 from 'node:v8';
import { init, tf } from '@recurrent/core';
import { moduleVariant, setModuleEnabled } from '@recurrent/core/tuning';
import { torchDir } from '@recurrent/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { findCases, formatReport, runCase } from './runner';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

async function failures(): Promise<{ count: number; failed: string[]; worst: number }> {
  const files = await findCases(torchDir);
  const failed: string[] = [];
  let worst = 0;
  for (const f of files) {
    const r = await runCase(f, torchDir);
    worst = Math.max(worst, r.maxOutputError, r.maxGradError);
    if (!r.passed) failed.push(formatReport(r));
  }
  return { count: files.length, failed, worst };
}

afterAll(() => setModuleEnabled(true));

describe('conformance on the relaxed-SIMD build of our module', () => {
  it('passes all 114 cases (the sequence ops, losses, clipping, optimizers) on the module route', async () => {
    await init();
    expect(moduleVariant()).toBe('relaxed-simd');
    setModuleEnabled(true);
    const { count, failed, worst } = await failures();
    expect(count).toBe(114);
    expect(failed).toEqual([]);
    console.log(`conformance, wasm with relaxed SIMD: ${count} passed, worst error ${worst.toExponential(2)} of the tensor's largest value`);
  });
});

describe('conformance on the CPU fallback', () => {
  for (const route of ['module', 'composed'] as const) {
    it(`passes all 114 cases on the cpu backend, ${route} route`, async () => {
      await init({ backend: 'cpu' });
      expect(tf.getBackend()).toBe('cpu');
      setModuleEnabled(route === 'module');
      const { count, failed, worst } = await failures();
      expect(count).toBe(114);
      expect(failed).toEqual([]);
      console.log(`conformance, cpu backend, ${route} route: ${count} passed, worst error ${worst.toExponential(2)} of the tensor's largest value`);
    });
  }
});
