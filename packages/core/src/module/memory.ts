// Our module's instance on the calling thread and its memory: a block allocator over the linear
// memory. Everything that runs in the module (the whole-sequence ops, generation's resident
// weights, the GEMM behind tensor products, the loss) takes blocks here and returns them.
// With one thread the instance has its own memory; with threads (threads.ts) the memory is a
// shared WebAssembly.Memory, every worker has an instance over it, and `parallel` splits a
// kernel's work between them. The blocks and their offsets are the same either way; only the
// calling thread allocates (between jobs, so growing the memory never races a kernel).
import type { ModuleExports } from './abi';
import { compiledModule } from './loader';
import type { ThreadPool } from './threads';

/** The module's functions a job can be split over (each takes its range through its arguments). */
export const PARALLEL_KERNELS = [
  'gemm',
  'gemmPanels',
  'gemmTransA',
  'sequenceForward',
  'sequenceBackward',
  'crossEntropyForward',
  'crossEntropyBackward',
] as const;

export type ParallelKernel = (typeof PARALLEL_KERNELS)[number];

/** Bytes a block of `count` 4-byte values takes (64-byte aligned: whole cache lines). */
export function blockBytes(count: number): number {
  return align(4 * Math.max(count, 1));
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/**
 * The module's instance and its memory. Blocks come from a bump allocator over the memory and go
 * back to a free list by size (`release`), so a training loop gets the same blocks every step; a
 * forward pass's saved activations are `hold`-ed until its backward pass `drop`s them. Blocks are
 * not zeroed. Views of the memory (`f32`, `i32`, `view`) are valid until the next `alloc`, which
 * may grow the memory.
 */
export class ModuleMemory {
  readonly fns: ModuleExports;
  private top: number;
  private f32View: Float32Array;
  private i32View: Int32Array;
  private readonly free = new Map<number, number[]>();
  private readonly sizes = new Map<number, number>();
  private readonly orphans = new FinalizationRegistry<number[]>((blocks) =>
    this.release(...blocks),
  );

  /** Worker threads with instances over this memory (null: one thread, or not shared). */
  private pool: ThreadPool | null = null;
  /** The pool is kept but not used (init asked for one thread since): jobs run on the caller. */
  private suspended = false;

  /** An instance of the one-thread build, or of the threaded build over `memory` (shared). */
  constructor(module: WebAssembly.Module, memory?: WebAssembly.Memory) {
    const imports: WebAssembly.Imports = memory
      ? {
          env: {
            memory,
            abort: () => {
              throw new Error('our module aborted');
            },
          },
        }
      : {};
    this.fns = new WebAssembly.Instance(module, imports).exports as unknown as ModuleExports;
    this.top = align(this.fns.heapBase());
    this.f32View = new Float32Array(this.fns.memory.buffer);
    this.i32View = new Int32Array(this.fns.memory.buffer);
  }

  /** A float32 view of the whole memory (re-fetch after `alloc`: growing replaces the buffer). */
  get f32(): Float32Array {
    if (this.f32View.buffer !== this.fns.memory.buffer)
      this.f32View = new Float32Array(this.fns.memory.buffer);
    return this.f32View;
  }

  get i32(): Int32Array {
    if (this.i32View.buffer !== this.fns.memory.buffer)
      this.i32View = new Int32Array(this.fns.memory.buffer);
    return this.i32View;
  }

  /**
   * A block of `count` 4-byte values (its contents arbitrary); returns its byte offset. Throws a
   * RangeError where the memory cannot grow that far (and is then left as it was).
   */
  alloc(count: number): number {
    const bytes = blockBytes(count);
    const reuse = this.free.get(bytes)?.pop();
    if (reuse !== undefined) return reuse;
    const at = this.top;
    const memory = this.fns.memory;
    const missing = at + bytes - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    this.top = at + bytes;
    this.sizes.set(at, bytes);
    return at;
  }

  /**
   * Blocks of the given sizes, all or none: null where the memory cannot grow that far (wasm32's
   * 4 GB, or a browser's limit), so the caller can take another route.
   */
  tryAlloc(...counts: number[]): number[] | null {
    const got: number[] = [];
    try {
      for (const n of counts) got.push(this.alloc(n));
      return got;
    } catch (e) {
      this.release(...got);
      if (e instanceof RangeError) return null;
      throw e;
    }
  }

  /** Returns blocks from `alloc` for reuse. */
  release(...blocks: number[]): void {
    for (const at of blocks) {
      const bytes = this.sizes.get(at)!;
      let list = this.free.get(bytes);
      if (!list) this.free.set(bytes, (list = []));
      list.push(at);
    }
  }

  /**
   * Keeps blocks for a later `drop(owner)` (a forward pass's saved activations, until its backward
   * pass); if the owner is collected first (a tape that never ran backward), they are released then.
   */
  hold(owner: object, blocks: number[]): void {
    this.orphans.register(owner, blocks, owner);
  }

  /** Releases the blocks held for `owner`. */
  drop(owner: object, blocks: number[]): void {
    this.orphans.unregister(owner);
    this.release(...blocks);
  }

  /** The float32 values of a block (a view: valid until the next `alloc`). */
  view(at: number, count: number): Float32Array {
    return this.f32.subarray(at >>> 2, (at >>> 2) + count);
  }

  /** Bytes of the memory handed out so far (static data included). */
  get reservedBytes(): number {
    return this.top;
  }

  /** Threads that work on this memory's jobs (1: the calling thread alone). */
  get threads(): number {
    return this.suspended ? 1 : (this.pool?.size ?? 1);
  }

  /** Threads of the pool, used or not. */
  get poolSize(): number {
    return this.pool?.size ?? 1;
  }

  /**
   * Stops (true) or resumes (false) handing jobs to the pool while keeping its workers (asleep in
   * Atomics.wait, costing nothing), so that going back to threads is immediate.
   */
  suspendPool(suspended: boolean): void {
    this.suspended = suspended;
  }

  /** The pool of worker threads over this (shared) memory, or null. */
  get threadPool(): ThreadPool | null {
    return this.pool;
  }

  /** Attaches a pool started over this memory (threads.ts), closing the previous one. */
  setPool(pool: ThreadPool | null): void {
    if (this.pool && this.pool !== pool) this.pool.close();
    this.pool = pool;
    this.suspended = false;
  }

  /**
   * Runs the kernel `fn` over [0, n) cut into up to `chunks` contiguous ranges of whole `grain`s,
   * which the pool's threads claim one at a time (the caller among them): `args(lo, hi)` gives
   * the call for a range and must be affine in lo and hi (offsets, counts, range ends). With one
   * chunk (or one thread) it is a single call with [0, n) on the caller. The kernel must write
   * disjoint outputs for disjoint ranges. Returns when every range is done.
   */
  parallel(
    fn: ParallelKernel,
    n: number,
    chunks: number,
    grain: number,
    args: (lo: number, hi: number) => number[],
  ): void {
    const grains = Math.ceil(n / grain);
    const k = Math.min(chunks, grains);
    if (k <= 1 || !this.pool || this.suspended || this.pool.size <= 1) {
      (this.fns[fn] as (...a: number[]) => void)(...args(0, n));
      return;
    }
    const chunkSize = Math.ceil(grains / k) * grain;
    this.pool.run(this.fns as unknown as Record<string, unknown>, fn, n, chunkSize, args);
  }
}

let single: ModuleMemory | null = null;
let threaded: ModuleMemory | null = null;

/**
 * The memory new work runs in: the threaded one while `init` has threads on (threads.ts), else
 * the one-thread instance, made on first use. Null where the module cannot be used (no
 * WebAssembly SIMD, still compiling, or an instance refused: a browser's main thread may refuse
 * to instantiate synchronously).
 */
export function moduleMemory(): ModuleMemory | null {
  if (threaded) return threaded;
  if (single) return single;
  const module = compiledModule();
  if (!module) return null;
  try {
    single = new ModuleMemory(module);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
  return single;
}

/**
 * Makes `mem` (an instance over a shared memory with its pool) the memory new work runs in, or
 * with null goes back to the one-thread instance. Blocks already taken in the other memory stay
 * valid for whoever holds them (resident weights keep their memory).
 */
export function setThreadedMemory(mem: ModuleMemory | null): void {
  threaded = mem;
}
