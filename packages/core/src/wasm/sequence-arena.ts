// One instance of our WebAssembly SIMD module for the whole-sequence ops (training), with a
// free-list allocator over its memory: a forward pass takes blocks for the activations it saves,
// its backward pass returns them, and the next step of a training loop gets the same blocks back.
import { blockBytes, KernelArena, onKernel, stepKernelModule, type StepKernelExports } from './kernel-module';

/** The module's functions for the sequence ops (byte offsets into its memory; see assembly/sequence-kernels.ts). */
export interface SequenceKernelExports extends StepKernelExports {
  lstmForwardStep(pre: number, xpv: number, offs: number, bias: number, cPrev: number, acts: number, cs: number, tcs: number, hs: number, B: number, H: number): void;
  lstmBackwardStep(dOut: number, dh: number, dc: number, acts: number, tcs: number, cPrev: number, dG: number, B: number, H: number): void;
  gruForwardStep(pre: number, xpv: number, offs: number, bi: number, bh: number, hPrev: number, acts: number, hs: number, B: number, H: number): void;
  gruBackwardStep(dOut: number, dh: number, direct: number, acts: number, hPrev: number, dGi: number, dGh: number, B: number, H: number): void;
  rnnForwardStep(pre: number, xpv: number, offs: number, bias: number, hs: number, B: number, H: number, relu: number): void;
  rnnBackwardStep(dOut: number, dh: number, hs: number, dG: number, n: number, relu: number): void;
  columnSum(a: number, rows: number, cols: number, out: number): void;
  packPanels(src: number, K: number, N: number, dst: number): void;
  packPanelsTransposed(src: number, N: number, K: number, dst: number): void;
  gemm(a: number, bp: number, c: number, M: number, K: number, panels: number): void;
  crossEntropyForward(z: number, t: number, M: number, C: number, ignore: number, smoothing: number, loss: number, lse: number): void;
  crossEntropyBackward(z: number, t: number, lse: number, g: number, M: number, C: number, ignore: number, smoothing: number): void;
  scatterAddRows(a: number, ids: number, rows: number, cols: number, acc: number): void;
}

/**
 * The module's instance for the sequence ops: `KernelArena` with blocks handed back by `release`
 * (or, for a forward pass's saved activations, `hold`/`drop`) and reused by size.
 */
export class SequenceArena extends KernelArena<SequenceKernelExports> {
  private readonly free = new Map<number, number[]>();
  private readonly sizes = new Map<number, number>();
  private readonly orphans = new FinalizationRegistry<number[]>((blocks) => this.release(...blocks));

  /** A block of `count` 4-byte values (a reused one is not zeroed); returns its byte offset. */
  override alloc(count: number): number {
    const bytes = blockBytes(Math.max(count, 1));
    const reuse = this.free.get(bytes)?.pop();
    if (reuse !== undefined) return reuse;
    const at = super.alloc(Math.max(count, 1));
    this.sizes.set(at, bytes);
    return at;
  }

  /**
   * Blocks of the given sizes, all or none: null when the memory cannot grow that far (wasm32's
   * 4 GB, or a browser's limit), so the caller can take another path.
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

  /**
   * A matrix product's right side B packed into ceil(N/8) panels of K×8 floats (the GEMM's
   * layout), from `values`: B [K, N] row-major, or with `transposed` W [N, K] (B = Wᵀ). Returns
   * the packed block, or null where the memory cannot grow that far. Allocates (earlier views
   * detach).
   */
  packRight(values: Float32Array, K: number, N: number, transposed: boolean): number | null {
    const blocks = this.tryAlloc(K * N, Math.ceil(N / 8) * 8 * K);
    if (!blocks) return null;
    const [raw, packed] = blocks as [number, number];
    this.f32.set(values, raw >>> 2);
    if (transposed) this.fns.packPanelsTransposed(raw, N, K, packed);
    else this.fns.packPanels(raw, K, N, packed);
    this.release(raw);
    return packed;
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
}

let arena: SequenceArena | null = null;

/**
 * The arena of the sequence kernels when our module is usable for a hidden size H (a multiple of
 * 4, the SIMD width), else null and the sequence ops keep their JS gate math.
 */
export function sequenceArena(H: number): SequenceArena | null {
  return H % 4 === 0 ? sharedArena() : null;
}

/** The one arena of the training kernels (sequence ops, cross-entropy), or null when our module is not usable. */
export function sharedArena(): SequenceArena | null {
  if (!stepKernelModule()) return null;
  arena ??= onKernel((module) => new SequenceArena(module));
  return arena;
}

/**
 * The input projections of every step (see `inputProjection`) copied into the arena: the values
 * and the row offsets, as the forward kernels read them. Allocates (earlier views detach).
 */
export function arenaInputProjection(k: SequenceArena, xp: { values: Float32Array; offsets: Int32Array }): { values: number; offsets: number } {
  const values = k.alloc(xp.values.length);
  const offsets = k.alloc(xp.offsets.length);
  k.f32.set(xp.values, values >>> 2);
  k.i32.set(xp.offsets, offsets >>> 2);
  return { values, offsets };
}

/**
 * The one-hot input weight's gradient [G, I] from the gate gradients dG [rows, G] at `dG` in the
 * arena: rows scatter-added by token id, then transposed. Allocates (earlier views detach).
 */
export function idsWeightGradOf(k: SequenceArena, dG: number, ids: Int32Array, rows: number, G: number, I: number): Float32Array {
  const idsB = k.alloc(rows);
  const accB = k.alloc(I * G);
  k.i32.set(ids, idsB >>> 2);
  k.f32.fill(0, accB >>> 2, (accB >>> 2) + I * G);
  k.fns.scatterAddRows(dG, idsB, rows, G, accB); // [I, G]
  const out = new Float32Array(G * I);
  const acc = k.view(accB, I * G);
  for (let i = 0; i < I; i++) for (let g = 0; g < G; g++) out[g * I + i] = acc[i * G + g]!;
  k.release(idsB, accB);
  return out;
}

/** Column sums [cols] of a [rows, cols] block of the arena (a bias gradient). Allocates (earlier views detach). */
export function columnSumOf(k: SequenceArena, a: number, rows: number, cols: number): Float32Array {
  const outB = k.alloc(cols);
  k.fns.columnSum(a, rows, cols, outB);
  const out = k.view(outB, cols).slice();
  k.release(outB);
  return out;
}

/** A product run at every step of a sequence: C at byte offset `c` = A at byte offset `a` · B (arena blocks). */
export interface StepProduct {
  run(a: number, c: number): void;
  dispose(): void;
}

/**
 * The per-step product of a whole-sequence op, inside the arena: C [rows, N] = A [rows, K] · B
 * with A and C blocks of the arena and B a weight packed once for the sequence. A and C are used
 * in place when rows is a multiple of 4 (and N of 8, for C); otherwise through padded blocks.
 * No tfjs kernel, tensor or copy per step. `dispose` returns its blocks.
 */
export class ArenaProduct implements StepProduct {
  private readonly packed: number;
  private readonly panels: number;
  private readonly Mp: number;
  private readonly aPad: number | null;
  private readonly cPad: number | null;

  /**
   * `w` holds B's values: [K, N] row-major, or with `transposed` W [N, K] (B = Wᵀ, as a recurrent
   * weight [G, H] used as h·Wᵀ).
   */
  constructor(
    private readonly k: SequenceArena,
    w: Float32Array,
    private readonly rows: number,
    private readonly K: number,
    private readonly N: number,
    transposed: boolean,
  ) {
    this.panels = Math.ceil(N / 8);
    this.Mp = Math.ceil(rows / 4) * 4;
    const packed = k.packRight(w, K, N, transposed);
    if (packed === null) throw new RangeError('ArenaProduct: the kernel memory cannot hold the packed weight');
    this.packed = packed;
    const padA = this.Mp !== rows;
    this.aPad = padA ? k.alloc(this.Mp * K) : null;
    this.cPad = padA || this.panels * 8 !== N ? k.alloc(this.Mp * this.panels * 8) : null;
    if (this.aPad !== null) k.f32.fill(0, this.aPad >>> 2, (this.aPad >>> 2) + this.Mp * K);
  }

  /** C at byte offset `c` = A at byte offset `a` · B. Does not allocate. */
  run(a: number, c: number): void {
    const { k, rows, K, N } = this;
    if (this.aPad !== null) k.f32.copyWithin(this.aPad >>> 2, a >>> 2, (a >>> 2) + rows * K);
    k.fns.gemm(this.aPad ?? a, this.packed, this.cPad ?? c, this.Mp, K, this.panels);
    if (this.cPad === null) return;
    const f32 = k.f32;
    const Np = this.panels * 8;
    for (let r = 0; r < rows; r++) f32.copyWithin((c >>> 2) + r * N, (this.cPad >>> 2) + r * Np, (this.cPad >>> 2) + r * Np + N);
  }

  dispose(): void {
    this.k.release(this.packed, ...(this.aPad !== null ? [this.aPad] : []), ...(this.cPad !== null ? [this.cPad] : []));
  }
}
