// Our WebAssembly module: its switch, its math, its GEMM (the one matrix kernel, any number of
// rows), and the weights resident there for generation, each against a reference.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { init, Random, tf, type Tensor } from '../index';
import { maxAbsDiff } from '../testing';
import { gruCellStep, lstmCellStep, rnnCellStep } from '../ops/composed-cells';
import { packDense } from '../ops/packed-dense';
import { packStepWeights, type StepKind } from '../ops/packed-step';
import { gemm, packRight, stride } from './gemm';
import { compiledModule } from './loader';
import { moduleMemory } from './memory';
import { moduleEnabled, moduleRoute, setModuleEnabled } from './route';

beforeAll(async () => {
  await init();
});

afterEach(() => setModuleEnabled(true));

function randomValues(rng: Random, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

function randomTensor(rng: Random, shape: number[], scale = 1): Tensor {
  return tf.tensor(
    randomValues(
      rng,
      shape.reduce((a, b) => a * b, 1),
      scale,
    ),
    shape,
  );
}

describe('the WebAssembly SIMD module', () => {
  it('compiles here (Node 20 has WebAssembly SIMD) and its route can be switched off and on', () => {
    expect(compiledModule()).toBeInstanceOf(WebAssembly.Module);
    expect(moduleEnabled()).toBe(true);
    expect(moduleRoute()).toBe(moduleMemory());
    setModuleEnabled(false);
    expect(moduleEnabled()).toBe(false);
    expect(moduleRoute()).toBeNull();
    setModuleEnabled(true);
    expect(moduleRoute()).not.toBeNull();
  });

  // mapValues: 0 exp, 1 sigmoid, 2 tanh, against float64 references over a dense sweep.
  for (const [fn, name, lo, hi, ref, maxRel, maxAbs] of [
    [0, 'exp', -87, 88, Math.exp, 2e-7, Infinity],
    [1, 'sigmoid', -30, 30, (x: number) => 1 / (1 + Math.exp(-x)), 3e-7, 2e-7],
    [2, 'tanh', -12, 12, Math.tanh, 3e-7, 2e-7],
  ] as const) {
    it(`${name} is accurate to float32 (relative error <= ${maxRel})`, () => {
      const mem = moduleMemory()!;
      const n = 1 << 18;
      const src = mem.alloc(n);
      const dst = mem.alloc(n);
      const x = mem.view(src, n);
      for (let i = 0; i < n; i++) x[i] = lo + ((hi - lo) * i) / (n - 1);
      x[0] = 0; // exactly zero, and tiny arguments where tanh(x) ~ x
      x[1] = 1e-20;
      x[2] = -3e-8;
      mem.fns.mapValues(fn, src, dst, n);
      const y = mem.view(dst, n);
      let rel = 0;
      let abs = 0;
      for (let i = 0; i < n; i++) {
        const r = ref(x[i]!);
        const e = Math.abs(y[i]! - r);
        abs = Math.max(abs, e);
        if (r !== 0) rel = Math.max(rel, e / Math.abs(r));
        else expect(y[i]).toBe(0);
      }
      mem.release(src, dst);
      expect(rel).toBeLessThanOrEqual(maxRel);
      expect(abs).toBeLessThanOrEqual(maxAbs);
    });
  }

  it('saturates without NaN far outside the range (sigmoid, tanh)', () => {
    const mem = moduleMemory()!;
    const src = mem.alloc(8);
    const dst = mem.alloc(8);
    mem.f32.set([-1e30, -500, 500, 1e30, -Infinity, Infinity, -90, 90], src >> 2);
    mem.fns.mapValues(1, src, dst, 8);
    expect(Array.from(mem.view(dst, 8)).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([
      0, 0, 1, 1, 0, 1, 0, 1,
    ]);
    mem.fns.mapValues(2, src, dst, 8);
    expect(Array.from(mem.view(dst, 8))).toEqual([-1, -1, 1, 1, -1, 1, -1, 1]);
    mem.release(src, dst);
  });
});

describe("gemm: the module's one matrix kernel", () => {
  /** C = A·B (+ C0 with accumulate) on the module, and the float64 reference, for A [M, K] and B [K, N] (or Wᵀ). */
  function product(
    M: number,
    K: number,
    N: number,
    transposed: boolean,
    accumulate: boolean,
    seed: number,
  ) {
    const mem = moduleMemory()!;
    const rng = new Random(seed);
    const a = randomValues(rng, M * K);
    const b = randomValues(rng, K * N); // [K, N], or W [N, K] when transposed
    const c0 = randomValues(rng, M * N);
    const packed = packRight(mem, b, K, N, transposed)!;
    const Np = stride(N);
    const [aB, cB] = [mem.alloc(M * K), mem.alloc(M * Np)];
    mem.f32.set(a, aB >>> 2);
    for (let r = 0; r < M; r++) mem.f32.set(c0.subarray(r * N, (r + 1) * N), (cB >>> 2) + r * Np);
    gemm(mem, aB, packed, cB, M, accumulate);
    const got = new Float32Array(M * N);
    for (let r = 0; r < M; r++) got.set(mem.view(cB + 4 * r * Np, N), r * N);
    const want = new Float64Array(M * N);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = accumulate ? c0[i * N + j]! : 0;
        for (let k = 0; k < K; k++) s += a[i * K + k]! * b[transposed ? j * K + k : k * N + j]!;
        want[i * N + j] = s;
      }
    mem.release(aB, cB, packed.at);
    return { got, want, a, K };
  }

  // Rows 1 to 9 (the 4-row tile and the single-row tiles), K past one block of 256, N past one
  // block of 32 panels and not a multiple of 8.
  for (const [M, K, N, transposed, accumulate] of [
    [1, 256, 1024, true, false],
    [3, 7, 9, false, false],
    [5, 300, 300, false, true],
    [9, 64, 40, true, true],
    [4, 513, 24, false, false],
  ] as const) {
    it(`[${M}, ${K}]·[${K}, ${N}]${transposed ? ' (Wᵀ)' : ''}${accumulate ? ' added to C' : ''} equals the float64 product`, () => {
      const { got, want, K: k } = product(M, K, N, transposed, accumulate, M * 100 + N);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5 * Math.sqrt(k));
    });
  }

  it('a row gets the same bits alone as among others (every tile sums over k in the same order)', () => {
    const mem = moduleMemory()!;
    const rng = new Random(9);
    const [M, K, N] = [7, 300, 100];
    const a = randomValues(rng, M * K);
    const packed = packRight(mem, randomValues(rng, K * N), K, N, false)!;
    const Np = stride(N);
    const [aB, cB, rowB] = [mem.alloc(M * K), mem.alloc(M * Np), mem.alloc(Np)];
    mem.f32.set(a, aB >>> 2);
    gemm(mem, aB, packed, cB, M); // rows 0-3 through the 4-row tile, 4-6 through the single-row tiles
    for (let r = 0; r < M; r++) {
      gemm(mem, aB + 4 * r * K, packed, rowB, 1);
      expect(Array.from(mem.view(rowB, N)), `row ${r}`).toEqual(
        Array.from(mem.view(cB + 4 * r * Np, N)),
      );
    }
    mem.release(aB, cB, rowB, packed.at);
  });
});

describe('packed steps on both routes equal the composed cell steps (the reference)', () => {
  const cases: [StepKind, 'tanh' | 'relu'][] = [
    ['lstm', 'tanh'],
    ['gru', 'tanh'],
    ['rnn', 'tanh'],
    ['rnn', 'relu'],
  ];
  for (const onModule of [true, false])
    for (const [kind, nonlinearity] of cases)
      for (const [B, I, H, bias] of [
        [1, 28, 256, true],
        [3, 5, 7, true],
        [3, 6, 20, false],
        [5, 3, 8, true],
      ] as const)
        it(`${kind}${kind === 'rnn' ? `/${nonlinearity}` : ''} B=${B} I=${I} H=${H} bias=${bias} (${onModule ? 'module' : 'composed'} route)`, () => {
          setModuleEnabled(onModule);
          const rng = new Random(B * 1000 + I * 10 + H);
          const G = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
          const scale = 1 / Math.sqrt(H);
          tf.tidy(() => {
            const wIh = randomTensor(rng, [G * H, I], 3 * scale);
            const wHh = randomTensor(rng, [G * H, H], 3 * scale);
            const bIh = bias ? randomTensor(rng, [G * H], 0.5) : null;
            const bHh = bias ? randomTensor(rng, [G * H], 0.5) : null;
            const p = packStepWeights(kind, wIh, wHh, bIh, bHh, { nonlinearity });
            expect(p.route).toBe(onModule ? 'module' : 'composed');
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
              const r = p.stepValues(
                byIds ? { ids } : { x: input.dataSync() as Float32Array },
                hv,
                cv,
                B,
                { h: hv, c: cv },
              );
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
            expect(() => p.stepValues({ ids: [I] }, hv, cv, 1)).toThrow(
              /'ids' must be integers in \[0, \d+\)/,
            );
            p.dispose();
          });
        });
});

describe('packDense', () => {
  for (const onModule of [true, false])
    for (const [rows, inF, outF, bias] of [
      [1, 256, 28, true],
      [3, 9, 33, false],
    ] as const)
      it(`rows=${rows} [${outF}, ${inF}] bias=${bias} equals x·wᵀ + b (${onModule ? 'module' : 'composed'} route)`, () => {
        setModuleEnabled(onModule);
        const rng = new Random(rows + inF);
        tf.tidy(() => {
          const w = randomTensor(rng, [outF, inF]);
          const b = bias ? randomTensor(rng, [outF]) : null;
          const x = randomTensor(rng, [rows, inF]);
          let ref = tf.matMul(x, w, false, true);
          if (b) ref = tf.add(ref, b);
          const d = packDense(w, b);
          expect(d.route).toBe(onModule ? 'module' : 'composed');
          const out = new Float32Array(rows * outF);
          expect(d.forwardValues(x.dataSync() as Float32Array, rows, out)).toBe(out);
          expect(maxAbsDiff(out, ref.dataSync())).toBeLessThan(1e-5);
          expect(
            maxAbsDiff(d.forwardValues(x.dataSync() as Float32Array, rows), ref.dataSync()),
          ).toBeLessThan(1e-5);
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

describe('ModuleMemory.tryAlloc', () => {
  it('gives all blocks or none: past what the memory can grow to, null, with nothing kept', () => {
    const mem = moduleMemory()!;
    const small = mem.tryAlloc(1000)!;
    expect(small).toHaveLength(1);
    mem.release(...small);
    const reserved = mem.reservedBytes;
    expect(mem.tryAlloc(1000, 2 ** 30)).toBeNull(); // 4 GB more: beyond wasm32
    expect(mem.reservedBytes).toBe(reserved);
    // The block the failed call took first went back to the free list.
    expect(mem.tryAlloc(1000)).toEqual(small);
    mem.release(...small);
  });
});

describe('resident weights', () => {
  it('return their memory when disposed: packing and disposing again does not grow it', () => {
    const rng = new Random(4);
    const run = () =>
      tf.tidy(() => {
        const p = packStepWeights(
          'lstm',
          randomTensor(rng, [64, 10]),
          randomTensor(rng, [64, 16]),
          null,
          null,
        );
        p.stepValues({ ids: [1, 2] }, new Float32Array(32), new Float32Array(32), 2);
        p.stepValues({ x: new Float32Array(20) }, new Float32Array(32), new Float32Array(32), 2);
        const d = packDense(randomTensor(rng, [12, 16]), randomTensor(rng, [12]));
        d.forwardValues(new Float32Array(48), 3);
        p.dispose();
        d.dispose();
      });
    run();
    const reserved = moduleMemory()!.reservedBytes;
    for (let i = 0; i < 3; i++) run();
    expect(moduleMemory()!.reservedBytes).toBe(reserved);
  });
});
