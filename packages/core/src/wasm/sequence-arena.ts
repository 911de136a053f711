// One instance of our WebAssembly SIMD module for the whole-sequence ops (training), with a
// free-list allocator over its memory: a forward pass takes blocks for the activations it saves,
// its backward pass returns them, and the next step of a training loop gets the same blocks back.
import { stepKernelModule, type StepKernelExports } from './kernel-module';

/** The module's functions for the sequence ops (byte offsets into its memory; see assembly/sequence-kernels.ts). */
export interface SequenceKernelExports extends StepKernelExports {
  lstmForwardStep(pre: number, xpv: number, offs: number, bias: number, cPrev: number, acts: number, cs: number, tcs: number, hs: number, B: number, H: number): void;
  lstmBackwardStep(dOut: number, dh: number, dc: number, acts: number, tcs: number, cPrev: number, dG: number, B: number, H: number): void;
  gruForwardStep(pre: number, xpv: number, offs: number, bi: number, bh: number, hPrev: number, acts: number, hs: number, B: number, H: number): void;
  gruBackwardStep(dOut: number, dh: number, direct: number, acts: number, hPrev: number, dGi: number, dGh: number, B: number, H: number): void;
  rnnForwardStep(pre: number, xpv: number, offs: number, bias: number, hs: number, B: number, H: number, relu: number): void;
  rnnBackwardStep(dOut: number, dh: number, hs: number, dG: number, n: number, relu: number): void;
  columnSum(a: number, rows: number, cols: number, out: number): void;
  scatterAddRows(a: number, ids: number, rows: number, cols: number, acc: number): void;
}

/** Allocation granularity and alignment in bytes. */
const ALIGN = 64;

export class SequenceArena {
  readonly fns: SequenceKernelExports;
  private top: number;
  private readonly free = new Map<number, number[]>();
  private readonly sizes = new Map<number, number>();
  private f32View: Float32Array;
  private i32View: Int32Array;
  private readonly orphans = new FinalizationRegistry<number[]>((blocks) => this.release(...blocks));

  constructor(module: WebAssembly.Module) {
    this.fns = new WebAssembly.Instance(module, {}).exports as unknown as SequenceKernelExports;
    this.top = roundUp(this.fns.heapBase());
    this.f32View = new Float32Array(this.fns.memory.buffer);
    this.i32View = new Int32Array(this.fns.memory.buffer);
  }

  /** A float32 view of the whole memory; take it after the last `alloc` (growing replaces the buffer). */
  get f32(): Float32Array {
    if (this.f32View.buffer !== this.fns.memory.buffer) this.f32View = new Float32Array(this.fns.memory.buffer);
    return this.f32View;
  }

  get i32(): Int32Array {
    if (this.i32View.buffer !== this.fns.memory.buffer) this.i32View = new Int32Array(this.fns.memory.buffer);
    return this.i32View;
  }

  /** A block of `count` 4-byte values (not zeroed); returns its byte offset. */
  alloc(count: number): number {
    const bytes = roundUp(4 * Math.max(count, 1));
    const reuse = this.free.get(bytes)?.pop();
    if (reuse !== undefined) return reuse;
    const at = this.top;
    this.top += bytes;
    const memory = this.fns.memory;
    const missing = this.top - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    this.sizes.set(at, bytes);
    return at;
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

  /** Bytes the arena has taken from its memory so far. */
  get reservedBytes(): number {
    return this.top;
  }
}

function roundUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

let arena: SequenceArena | null = null;

/**
 * The arena of the sequence kernels when our module is usable for a hidden size H (a multiple of
 * 4, the SIMD width), else null and the sequence ops keep their JS gate math.
 */
export function sequenceArena(H: number): SequenceArena | null {
  if (H % 4 !== 0) return null;
  const module = stepKernelModule();
  if (!module) return null;
  arena ??= new SequenceArena(module);
  return arena;
}
