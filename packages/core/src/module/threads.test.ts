// The thread pool of our module: a job cut into chunks for the threads gives the same bits as one thread;
// init's `threads` picks the one-thread instance or the pool; a worker's error reaches the
// caller as a ThreadError and leaves the pool working; the shared memory grows under a running
// pool; an allocation that fails leaves nothing waiting.
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, RecurrentError, ThreadError } from '../index';
import { packRightFrom, stride } from './gemm';
import { compiledModule, loadSharedModule } from './loader';
import { ModuleMemory, moduleMemory } from './memory';
import { setMinThreadWork } from './route';
import { backoff, ThreadPool } from './threads';
import { defaultThreads, DEFAULT_THREAD_CAP } from './thread-count';

const cores = availableParallelism();

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32) * 2 - 1;
  });
}

/** C (stride(N) columns) of A [M, K] · B [K, N], computed in `mem` with `threads` parts at most. */
function product(
  mem: ModuleMemory,
  M: number,
  K: number,
  N: number,
  seed: number,
  run: (a: number, bp: number, c: number, panels: number) => void,
): Float32Array {
  const [a, raw, c] = [mem.alloc(M * K), mem.alloc(K * N), mem.alloc(M * stride(N))];
  mem.f32.set(values(M * K, seed), a >>> 2);
  mem.f32.set(values(K * N, seed + 1), raw >>> 2);
  mem.f32.set(values(M * stride(N), seed + 2), c >>> 2); // accumulate adds to this
  const b = packRightFrom(mem, raw, K, N, false)!;
  run(a, b.at, c, b.panels);
  const out = mem.view(c, M * stride(N)).slice();
  mem.release(a, raw, c, b.at);
  return out;
}

/** `product`'s run: gemm over M rows cut into `chunks` chunks of 4-row tiles on `m`'s threads. */
function byRows(m: ModuleMemory, M: number, K: number, chunks = 3, accumulate = 0) {
  return (a: number, bp: number, c: number, panels: number): void =>
    m.parallel('gemm', M, chunks, 4, (lo, hi) => [
      a + 4 * lo * K,
      bp,
      c + 32 * lo * panels,
      hi - lo,
      K,
      panels,
      accumulate,
    ]);
}

/** `product`'s run: one gemm call on the caller. */
function alone(m: ModuleMemory, M: number, K: number, accumulate = 0) {
  return (a: number, bp: number, c: number, panels: number): void =>
    m.fns.gemm(a, bp, c, M, K, panels, accumulate);
}

function sameBits(got: Float32Array, want: Float32Array): boolean {
  return Buffer.from(got.buffer).equals(Buffer.from(want.buffer));
}

describe('a pool of three threads over one shared memory', () => {
  let mem: ModuleMemory;
  let single: ModuleMemory;

  beforeAll(async () => {
    await init();
    const module = (await loadSharedModule())!;
    mem = new ModuleMemory(
      module,
      new WebAssembly.Memory({ initial: 64, maximum: 4096, shared: true }),
    );
    // Three threads on any machine: the splits below are uneven on purpose.
    mem.setPool(
      await ThreadPool.start(module, mem.fns.memory, 3, ['gemm', 'gemmPanels', 'gemmTransA']),
    );
    single = new ModuleMemory(compiledModule()!);
  });

  afterAll(() => mem.setPool(null));

  it('runs on three threads over a shared memory', () => {
    expect(mem.threads).toBe(3);
    expect(mem.fns.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(single.fns.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });

  // Rows split in blocks of 4 (and a remainder), or panels split for few rows; with and without
  // accumulating into C; K past one block of 256 (the kernel sums K in blocks).
  for (const [M, K, N] of [
    [37, 300, 45],
    [1, 256, 1024],
    [3, 513, 200],
    [64, 128, 8],
    [130, 700, 130],
  ] as const) {
    for (const accumulate of [0, 1]) {
      it(`[${M}, ${K}]·[${K}, ${N}]${accumulate ? ' added to C' : ''}: split by rows and by panels, the same bits as one thread`, () => {
        const want = product(single, M, K, N, M + K, alone(single, M, K, accumulate));
        const rows = product(mem, M, K, N, M + K, byRows(mem, M, K, 3, accumulate));
        const panels = product(mem, M, K, N, M + K, (a, bp, c, P) =>
          mem.parallel('gemmPanels', P, 3, 1, (lo, hi) => [a, bp, c, M, K, lo, hi, P, accumulate]),
        );
        expect(sameBits(rows, want)).toBe(true);
        expect(sameBits(panels, want)).toBe(true);
      });
    }
  }

  for (const [M, K, N] of [
    [37, 300, 45],
    [2, 513, 64],
    [64, 1120, 256],
  ] as const) {
    it(`Aᵀ·B with A [${K}, ${M}] read in place (gemmTransA, by rows and by panels): the bits of gemm on a transposed copy`, () => {
      const at = values(K * M, M); // [K, M]
      const transposed = new Float32Array(M * K);
      for (let k = 0; k < K; k++)
        for (let i = 0; i < M; i++) transposed[i * K + k] = at[k * M + i]!;
      const want = (() => {
        const [aB, raw, c] = [
          single.alloc(M * K),
          single.alloc(K * N),
          single.alloc(M * stride(N)),
        ];
        single.f32.set(transposed, aB >>> 2);
        single.f32.set(values(K * N, 5), raw >>> 2);
        const b = packRightFrom(single, raw, K, N, false)!;
        single.fns.gemm(aB, b.at, c, M, K, b.panels, 0);
        const out = single.view(c, M * stride(N)).slice();
        single.release(aB, raw, c, b.at);
        return out;
      })();
      for (const split of ['rows', 'panels'] as const) {
        const [aB, raw, c] = [mem.alloc(K * M), mem.alloc(K * N), mem.alloc(M * stride(N))];
        mem.f32.set(at, aB >>> 2);
        mem.f32.set(values(K * N, 5), raw >>> 2);
        const b = packRightFrom(mem, raw, K, N, false)!;
        if (split === 'rows')
          mem.parallel('gemmTransA', M, 3, 4, (lo, hi) => [
            aB + 4 * lo,
            M,
            b.at,
            c + 32 * lo * b.panels,
            hi - lo,
            K,
            0,
            b.panels,
            b.panels,
            0,
          ]);
        else
          mem.parallel('gemmTransA', b.panels, 3, 1, (lo, hi) => [
            aB,
            M,
            b.at,
            c,
            M,
            K,
            lo,
            hi,
            b.panels,
            0,
          ]);
        const got = mem.view(c, M * stride(N)).slice();
        mem.release(aB, raw, c, b.at);
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), split).toBe(true);
      }
    });
  }

  it('a kernel that traps on a worker throws a ThreadError on the caller, and the pool keeps working', () => {
    const [M, K, N] = [64, 512, 512];
    // Workers compute a chunk's arguments from three samples of the function (at (0,0), (1,0),
    // (0,1)), the caller from the function itself: here the samples give the workers a right side
    // past the end of the 4 GB address space (a trap), the caller the real one. 16 chunks of
    // about 50 µs: the workers take some of them (tried again if the caller took them all).
    let error: unknown;
    for (let attempt = 0; attempt < 10 && !error; attempt++) {
      mem.threadPool!.resetBackoff(); // a late join before would keep the job on the caller
      try {
        product(mem, M, K, N, 5, (a, bp, c, panels) => {
          let samples = 0;
          mem.parallel('gemm', M, 16, 4, (lo, hi) => [
            a + 4 * lo * K,
            samples++ < 3 ? 0xfffffff0 : bp,
            c + 32 * lo * panels,
            hi - lo,
            K,
            panels,
            0,
          ]);
        });
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(ThreadError);
    expect(RecurrentError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'THREAD', kernel: 'gemm' });
    expect([1, 2]).toContain((error as ThreadError).thread);
    expect((error as Error).message).toMatch(
      /^gemm: thread [12] of our module's pool failed: RuntimeError: memory access out of bounds/,
    );
    // No thread is left in the failed job: the next one runs on all three, right.
    const want = product(single, M, K, N, 9, alone(single, M, K));
    const got = product(mem, M, K, N, 9, byRows(mem, M, K, 16));
    expect(sameBits(got, want)).toBe(true);
    expect(mem.threads).toBe(3);
  });

  it('the workers see the memory grown after they started', () => {
    const before = mem.fns.memory.buffer.byteLength;
    const [M, K, N] = [48, 512, 512];
    const pad = mem.alloc((before - mem.reservedBytes) / 4 + 1024); // the next blocks lie past the start size
    const want = product(single, M, K, N, 3, alone(single, M, K));
    const got = product(mem, M, K, N, 3, (a, bp, c, panels) => {
      expect(c).toBeGreaterThan(before);
      byRows(mem, M, K)(a, bp, c, panels);
    });
    expect(mem.fns.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(sameBits(got, want)).toBe(true);
    mem.release(pad);
  });

  it("an allocation past the shared memory's maximum fails on the caller and leaves the pool working", () => {
    expect(() => mem.alloc(4096 * 16384)).toThrow(RangeError); // 256 MB of a 256 MB maximum, some taken
    expect(mem.tryAlloc(4096 * 16384)).toBeNull();
    const [M, K, N] = [40, 64, 64];
    const want = product(single, M, K, N, 4, alone(single, M, K));
    const got = product(mem, M, K, N, 4, byRows(mem, M, K, 3));
    expect(sameBits(got, want)).toBe(true);
  });

  it('a closed pool runs every range on the caller', async () => {
    const module = (await loadSharedModule())!;
    const other = new ModuleMemory(
      module,
      new WebAssembly.Memory({ initial: 64, maximum: 256, shared: true }),
    );
    other.setPool(await ThreadPool.start(module, other.fns.memory, 2, ['gemm']));
    expect(other.threads).toBe(2);
    other.setPool(null);
    expect(other.threads).toBe(1);
    const [M, K, N] = [16, 32, 16];
    const want = product(single, M, K, N, 6, alone(single, M, K));
    const got = product(other, M, K, N, 6, byRows(other, M, K, 2));
    expect(sameBits(got, want)).toBe(true);
  });
});

describe('backing off a busy machine', () => {
  it('runs on the caller alone for 1, 2, 4 … 256 ms after jobs slower than the caller alone, and stops after one on time', () => {
    const pace = { soloUntil: 0, backoffMs: 1 };
    // generation's step in 2 chunks: 13 µs for the caller's, 2 µs waiting for the worker's
    backoff(pace, 100, 0.002, 0.013, 1, 2);
    expect(pace).toEqual({ soloUntil: 0, backoffMs: 1 });
    backoff(pace, 100, 0.03, 0.013, 1, 2); // the worker's chunk took 43 µs: slower than alone
    expect(pace).toEqual({ soloUntil: 101, backoffMs: 2 });
    backoff(pace, 200, 3, 0.013, 1, 2); // descheduled for 3 ms with a chunk
    expect(pace).toEqual({ soloUntil: 202, backoffMs: 4 });
    for (let i = 0; i < 10; i++) backoff(pace, 300, 3, 0.013, 1, 2);
    expect(pace.backoffMs).toBe(256);
    // a long job in 8 chunks: the caller ran 4 in 25 ms, waited 4 ms: faster than alone (50 ms)
    backoff(pace, 900, 4, 25, 4, 8);
    expect(pace.backoffMs).toBe(1);
    backoff(pace, 1000, 0.009, 0.001, 1, 2); // under 10 µs of waiting is never late
    backoff(pace, 1000, 1, 0, 0, 2); // the workers took every chunk: nothing to compare with
    expect(pace.backoffMs).toBe(1);
  });
});

describe("init's threads", () => {
  afterAll(async () => {
    setMinThreadWork(1 << 17);
    await init({ threads: defaultThreads() });
  });

  it('defaults in Node to the cores available (at most 8), on a pool over a shared memory', async () => {
    const info = await init();
    expect(info.threads).toBe(Math.min(DEFAULT_THREAD_CAP, cores));
    expect(info.threadsFallback).toBeNull();
    const mem = moduleMemory()!;
    expect(mem.threads).toBe(info.threads);
    if (info.threads > 1) expect(mem.fns.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('threads: 1 is the one-thread instance with its own memory and no pool', async () => {
    const info = await init({ threads: 1 });
    expect(info).toMatchObject({ threads: 1, threadsFallback: null });
    const mem = moduleMemory()!;
    expect(mem.threads).toBe(1);
    expect(mem.threadPool).toBeNull();
    expect(mem.fns.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    // Back to threads: the pool over the shared memory again.
    const two = await init({ threads: Math.min(2, cores) });
    expect(two.threads).toBe(Math.min(2, cores));
    expect(moduleMemory()!.threads).toBe(two.threads);
  });

  it('more threads than cores: the cores, the reason, and one warning', async () => {
    const warnings: string[] = [];
    const info = await init({ threads: cores + 3, onWarning: (m) => warnings.push(m) });
    expect(info.threads).toBe(cores);
    expect(info.threadsFallback).toMatchObject({ reason: 'cores' });
    expect(info.threadsFallback!.message).toBe(
      `our kernels run on ${cores} threads instead of ${cores + 3}: this machine has ${cores} cores`,
    );
    expect(warnings).toEqual([`@recurrent/core: ${info.threadsFallback!.message}`]);
  });

  it('refuses a thread count that is not a positive integer', async () => {
    await expect(init({ threads: 0 })).rejects.toThrow(
      "init: 'options.threads' must be a positive integer, got 0",
    );
    await expect(init({ threads: 1.5 })).rejects.toThrow(/options\.threads/);
  });

  it('picks the browser share: half the cores on a page, all in a worker, 1 without isolation', () => {
    const page = { node: false, cores: 8, isolated: true, pageMainThread: true };
    expect(defaultThreads(page)).toBe(4);
    expect(defaultThreads({ ...page, pageMainThread: false })).toBe(8);
    expect(defaultThreads({ ...page, cores: 32, pageMainThread: false })).toBe(DEFAULT_THREAD_CAP);
    expect(defaultThreads({ ...page, cores: 1 })).toBe(1);
    expect(defaultThreads({ ...page, isolated: false })).toBe(1);
    expect(defaultThreads({ node: true, cores: 2, isolated: true, pageMainThread: false })).toBe(2);
  });
});
