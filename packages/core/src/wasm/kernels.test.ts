import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { init, Random, tf, type Tensor } from '../index';
import { maxAbsDiff } from '../testing';
import { gruCellStep, lstmCellStep, rnnCellStep } from '../ops/cell-step';
import { packStepWeights, type StepKind } from '../ops/fused-step';
import { KernelArena, onKernel, setWasmKernelsEnabled, stepKernelModule, wasmKernelsEnabled } from './kernel-module';
import { packDense } from './packed-dense';
import { SequenceArena } from './sequence-arena';

beforeAll(async () => {
  await init();
});

afterEach(() => setWasmKernelsEnabled(true));

function randomValues(rng: Random, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

function randomTensor(rng: Random, shape: number[], scale = 1): Tensor {
  return tf.tensor(randomValues(rng, shape.reduce((a, b) => a * b, 1), scale), shape);
}

describe('the WebAssembly SIMD module', () => {
  it('compiles here (Node 20 has WebAssembly SIMD) and can be switched off', () => {
    expect(wasmKernelsEnabled()).toBe(true);
    setWasmKernelsEnabled(false);
    expect(wasmKernelsEnabled()).toBe(false);
    expect(stepKernelModule()).toBeNull();
    setWasmKernelsEnabled(true);
    expect(stepKernelModule()).toBeInstanceOf(WebAssembly.Module);
  });

  it('onKernel gives null where an instance is refused (RangeError), so callers take the tfjs path', () => {
    expect(onKernel((m) => m)).toBeInstanceOf(WebAssembly.Module);
    expect(
      onKernel(() => {
        throw new RangeError('WebAssembly.Instance is disallowed on the main thread');
      }),
    ).toBeNull();
    expect(() =>
      onKernel(() => {
        throw new TypeError('a bug');
      }),
    ).toThrow(TypeError);
    setWasmKernelsEnabled(false);
    expect(onKernel((m) => m)).toBeNull();
  });

  // mapValues: 0 exp, 1 sigmoid, 2 tanh, against float64 references over a dense sweep.
  for (const [fn, name, lo, hi, ref, maxRel, maxAbs] of [
    [0, 'exp', -87, 88, Math.exp, 2e-7, Infinity],
    [1, 'sigmoid', -30, 30, (x: number) => 1 / (1 + Math.exp(-x)), 3e-7, 2e-7],
    [2, 'tanh', -12, 12, Math.tanh, 3e-7, 2e-7],
  ] as const) {
    it(`${name} is accurate to float32 (relative error <= ${maxRel})`, () => {
      const arena = new KernelArena(stepKernelModule()!);
      const n = 1 << 18;
      const src = arena.alloc(n);
      const dst = arena.alloc(n);
      const f = arena.f32;
      const x = f.subarray(src >> 2, (src >> 2) + n);
      for (let i = 0; i < n; i++) x[i] = lo + ((hi - lo) * i) / (n - 1);
      x[0] = 0; // exactly zero, and tiny arguments where tanh(x) ~ x
      x[1] = 1e-20;
      x[2] = -3e-8;
      arena.fns.mapValues(fn, src, dst, n);
      const y = arena.f32.subarray(dst >> 2, (dst >> 2) + n);
      let rel = 0;
      let abs = 0;
      for (let i = 0; i < n; i++) {
        const r = ref(x[i]!);
        const e = Math.abs(y[i]! - r);
        abs = Math.max(abs, e);
        if (r !== 0) rel = Math.max(rel, e / Math.abs(r));
        else expect(y[i]).toBe(0);
      }
      expect(rel).toBeLessThanOrEqual(maxRel);
      expect(abs).toBeLessThanOrEqual(maxAbs);
    });
  }

  it('saturates without NaN far outside the range (sigmoid, tanh)', () => {
    const arena = new KernelArena(stepKernelModule()!);
    const src = arena.alloc(8);
    const dst = arena.alloc(8);
    arena.f32.set([-1e30, -500, 500, 1e30, -Infinity, Infinity, -90, 90], src >> 2);
    arena.fns.mapValues(1, src, dst, 8);
    expect(Array.from(arena.f32.subarray(dst >> 2, (dst >> 2) + 8)).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0, 1, 1, 0, 1, 0, 1]);
    arena.fns.mapValues(2, src, dst, 8);
    expect(Array.from(arena.f32.subarray(dst >> 2, (dst >> 2) + 8))).toEqual([-1, -1, 1, 1, -1, 1, -1, 1]);
  });
});

describe('kernel steps equal the composed cell steps (the reference)', () => {
  const cases: [StepKind, 'tanh' | 'relu'][] = [
    ['lstm', 'tanh'],
    ['gru', 'tanh'],
    ['rnn', 'tanh'],
    ['rnn', 'relu'],
  ];
  for (const kernel of [true, false])
    for (const [kind, nonlinearity] of cases)
      for (const [B, I, H, bias] of [
        [1, 28, 256, true],
        [3, 5, 7, true],
        [3, 6, 20, false],
      ] as const)
        it(`${kind}${kind === 'rnn' ? `/${nonlinearity}` : ''} B=${B} I=${I} H=${H} bias=${bias} (${kernel ? 'wasm kernel' : 'tfjs path'})`, () => {
          setWasmKernelsEnabled(kernel);
          const rng = new Random(B * 1000 + I * 10 + H);
          const G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
          const scale = 1 / Math.sqrt(H);
          tf.tidy(() => {
            const wIh = randomTensor(rng, [G * H, I], 3 * scale);
            const wHh = randomTensor(rng, [G * H, H], 3 * scale);
            const bIh = bias ? randomTensor(rng, [G * H], 0.5) : null;
            const bHh = bias ? randomTensor(rng, [G * H], 0.5) : null;
            const p = packStepWeights(kind, wIh, wHh, bIh, bHh, { nonlinearity });
            expect(p.usesWasmKernel).toBe(kernel);
            const ids = Array.from({ length: B }, (_, b) => (b * 7 + 3) % I);
            const x = tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), I), 'float32'); // [B, I]
            const xv = randomTensor(rng, [B, I]); // dense inputs
            let h = randomTensor(rng, [B, H], 0.5);
            let c = randomTensor(rng, [B, H], 0.5);
            const hv = h.dataSync().slice() as Float32Array;
            const cv = kind === 'lstm' ? (c.dataSync().slice() as Float32Array) : null;
            // Three steps carrying the state: ids, then dense x, then ids, written in place.
            for (const [input, byIds] of [
              [x, true],
              [xv, false],
              [x, true],
            ] as const) {
              const r = p.stepValues(byIds ? { ids } : { x: input.dataSync() as Float32Array }, hv, cv, B, { h: hv, c: cv });
              expect(r.h).toBe(hv);
              if (kind === 'lstm') {
                const ref = lstmCellStep(input, h, c, wIh, wHh, bIh, bHh);
                h = ref.h;
                c = ref.c;
                expect(maxAbsDiff(cv!, c.dataSync())).toBeLessThan(1e-5);
              } else if (kind === 'gru') h = gruCellStep(input, h, wIh, wHh, bIh, bHh);
              else h = rnnCellStep(input, h, wIh, wHh, bIh, bHh, nonlinearity);
              expect(maxAbsDiff(hv, h.dataSync())).toBeLessThan(1e-5);
            }
            // Fresh arrays when no output is given; the inputs stay untouched.
            const h0 = hv.slice();
            const fresh = p.stepValues({ ids }, hv, cv, B);
            expect(fresh.h).not.toBe(hv);
            expect(Array.from(hv)).toEqual(Array.from(h0));
            expect(() => p.stepValues({ ids: [I] }, hv, cv, 1)).toThrow(/'ids' must be integers in \[0, \d+\)/);
            p.dispose();
          });
        });
});

describe('packDense', () => {
  for (const kernel of [true, false])
    for (const [rows, inF, outF, bias] of [
      [1, 256, 28, true],
      [3, 9, 33, false],
    ] as const)
      it(`rows=${rows} [${outF}, ${inF}] bias=${bias} equals x·wᵀ + b (${kernel ? 'wasm kernel' : 'tfjs path'})`, () => {
        setWasmKernelsEnabled(kernel);
        const rng = new Random(rows + inF);
        tf.tidy(() => {
          const w = randomTensor(rng, [outF, inF]);
          const b = bias ? randomTensor(rng, [outF]) : null;
          const x = randomTensor(rng, [rows, inF]);
          let ref = tf.matMul(x, w, false, true);
          if (b) ref = tf.add(ref, b);
          const d = packDense(w, b);
          expect(d.usesWasmKernel).toBe(kernel);
          const out = new Float32Array(rows * outF);
          expect(d.forwardValues(x.dataSync() as Float32Array, rows, out)).toBe(out);
          expect(maxAbsDiff(out, ref.dataSync())).toBeLessThan(1e-5);
          expect(maxAbsDiff(d.forwardValues(x.dataSync() as Float32Array, rows), ref.dataSync())).toBeLessThan(1e-5);
          d.dispose();
        });
      });

  it('rejects a bias of the wrong size', () => {
    const w = tf.zeros([3, 2]);
    const b = tf.zeros([2]);
    expect(() => packDense(w, b)).toThrow(/'bias' must be of shape \[3\]/);
    tf.dispose([w, b]);
  });
});

describe('SequenceArena.tryAlloc', () => {
  it('gives all blocks or none: past what the memory can grow to, null, with nothing kept', () => {
    const arena = onKernel((module) => new SequenceArena(module))!;
    const small = arena.tryAlloc(1000)!;
    expect(small).toHaveLength(1);
    arena.release(...small);
    const reserved = arena.reservedBytes;
    expect(arena.tryAlloc(1000, 2 ** 30)).toBeNull(); // 4 GB more: beyond wasm32
    expect(arena.reservedBytes).toBe(reserved);
    // The block the failed call took first went back to the free list.
    expect(arena.tryAlloc(1000)).toEqual(small);
  });
});
