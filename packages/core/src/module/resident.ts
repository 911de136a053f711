// Weights kept in our module's memory for generation (no gradient): one recurrent layer's step,
// and a dense layer. They run the same kernels as training (the GEMM, the cells' forward steps)
// on the same layout; only the number of steps per call differs.
import {
  CELLS,
  biasBlock,
  getRows,
  inputTable,
  packHidden,
  packInput,
  paddedSize,
  putRows,
  type Cell,
  type CellKind,
} from './cells';
import { gemm, packRight, stride, type PackedRight } from './gemm';
import type { ModuleMemory } from './memory';

/** Blocks of one batch size: the inputs, the state before and after, the products, scratch. */
interface StepBlocks {
  ids: number; // [B] int32 offsets of the looked-up rows
  rows: number; // [B] int32 offsets of the projected rows (b·N)
  x: number; // [B, I]
  xp: number; // [B, N]
  h: number; // [B, Hp]
  c: number;
  hNext: number;
  cNext: number;
  pre: number; // [B, N]
  saved: number; // [B, S·Hp]
}

/**
 * A recurrent layer's weights resident in the module (PyTorch layouts and gate orders in, packed
 * once), and its step: the input projection (a row lookup for token ids, else x·W_ihᵀ), h·W_hhᵀ,
 * then the cell's forward step. Dispose it to return its memory (it is returned when collected).
 */
export class ResidentCell {
  private readonly cell: Cell;
  private readonly Hp: number;
  private readonly N: number;
  private readonly whh: PackedRight;
  private readonly bias: number;
  private table: number | null = null;
  private wih: PackedRight | null = null;
  private readonly blocks: number[] = [];
  private readonly buffers = new Map<number, StepBlocks>();
  private disposed = false;

  constructor(
    private readonly mem: ModuleMemory,
    kind: CellKind,
    readonly inputSize: number,
    readonly hiddenSize: number,
    private readonly relu: boolean,
    private readonly wIh: Float32Array,
    wHh: Float32Array,
    bIh: Float32Array | null,
    bHh: Float32Array | null,
  ) {
    this.cell = CELLS[kind];
    this.Hp = paddedSize(hiddenSize);
    this.N = this.cell.gates * this.Hp;
    this.whh = packHidden(mem, this.cell, wHh, hiddenSize, this.Hp, 'forward');
    this.keep(this.whh.at);
    this.bias = this.keep(biasBlock(mem, this.cell, bIh, bHh, hiddenSize, this.Hp));
  }

  private keep(at: number): number {
    this.blocks.push(at);
    this.mem.hold(this, [at]);
    return at;
  }

  private buffersFor(B: number): StepBlocks {
    let b = this.buffers.get(B);
    if (b) return b;
    const { mem, Hp, N } = this;
    const S = Math.max(this.cell.savedBlocks, 1) * Hp;
    const a = (n: number): number => this.keep(mem.alloc(n));
    b = {
      ids: a(B),
      rows: a(B),
      x: a(B * this.inputSize),
      xp: a(B * N),
      h: a(B * Hp),
      c: a(B * Hp),
      hNext: a(B * Hp),
      cNext: a(B * Hp),
      pre: a(B * N),
      saved: a(B * S),
    };
    for (let r = 0; r < B; r++) mem.i32[(b.rows >>> 2) + r] = r * N;
    mem.f32.fill(0, b.c >>> 2, (b.c >>> 2) + B * Hp); // a cell without c reads zeros
    this.buffers.set(B, b);
    return b;
  }

  /**
   * One step for B rows: `ids` (int32 token ids in [0, I), checked by the caller) or `x` [B, I];
   * h, c [B, H] in (c for LSTM only); the new h, c written to hOut, cOut (which may be h, c).
   */
  step(
    ids: ArrayLike<number> | null,
    x: Float32Array | null,
    h: Float32Array,
    c: Float32Array | null,
    B: number,
    hOut: Float32Array,
    cOut: Float32Array | null,
  ): void {
    const { mem, cell, Hp, N, inputSize: I, hiddenSize: H } = this;
    // Every allocation first: growing the memory detaches the views taken after.
    const buf = this.buffersFor(B);
    if (ids) this.table ??= this.keep(inputTable(mem, cell, this.wIh, I, H, Hp));
    else if (!this.wih) {
      this.wih = packInput(mem, cell, this.wIh, I, H, Hp);
      this.keep(this.wih.at);
    }
    const f32 = mem.f32;
    putRows(f32, buf.h >>> 2, h, B, H, Hp);
    if (cell.cellState) putRows(f32, buf.c >>> 2, c!, B, H, Hp);
    let xp = buf.xp;
    let offs = buf.rows;
    if (ids) {
      const i32 = mem.i32;
      for (let b = 0; b < B; b++) i32[(buf.ids >>> 2) + b] = ids[b]! * N;
      xp = this.table!;
      offs = buf.ids;
    } else {
      f32.set(x!.subarray(0, B * I), buf.x >>> 2);
      gemm(mem, buf.x, this.wih!, buf.xp, B);
    }
    gemm(mem, buf.h, this.whh, buf.pre, B);
    cell.forward(mem.fns)(
      buf.pre,
      xp,
      offs,
      this.bias,
      buf.h,
      buf.c,
      buf.hNext,
      buf.cNext,
      buf.saved,
      B,
      Hp,
      this.relu ? 1 : 0,
    );
    getRows(f32, buf.hNext >>> 2, B, H, Hp, hOut);
    if (cell.cellState) getRows(f32, buf.cNext >>> 2, B, H, Hp, cOut!);
  }

  /** Returns the memory (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.mem.drop(this, this.blocks);
    this.buffers.clear();
  }
}

/** A dense layer y = x·Wᵀ + b (W [out, in], PyTorch's Linear) resident in the module. */
export class ResidentDense {
  private readonly w: PackedRight;
  private readonly bias: Float32Array | null;
  private readonly blocks: number[] = [];
  private readonly buffers = new Map<number, { x: number; y: number }>();
  private disposed = false;

  /** Throws a RangeError where the memory cannot grow for the weight. */
  constructor(
    private readonly mem: ModuleMemory,
    readonly inFeatures: number,
    readonly outFeatures: number,
    weight: Float32Array,
    bias: Float32Array | null,
  ) {
    const w = packRight(mem, weight, inFeatures, outFeatures, true);
    if (!w) throw new RangeError('ResidentDense: our module cannot grow its memory for the weight');
    this.w = w;
    this.keep(w.at);
    this.bias = bias ? bias.slice(0, outFeatures) : null;
  }

  private keep(at: number): number {
    this.blocks.push(at);
    this.mem.hold(this, [at]);
    return at;
  }

  /** x [rows, in] -> out [rows, outFeatures]. */
  forward(x: Float32Array, rows: number, out: Float32Array): void {
    const { mem, inFeatures: K, outFeatures: N } = this;
    const Np = stride(N);
    let buf = this.buffers.get(rows);
    if (!buf)
      this.buffers.set(
        rows,
        (buf = { x: this.keep(mem.alloc(rows * K)), y: this.keep(mem.alloc(rows * Np)) }),
      );
    const f32 = mem.f32;
    f32.set(x.subarray(0, rows * K), buf.x >>> 2);
    if (this.bias) for (let r = 0; r < rows; r++) f32.set(this.bias, (buf.y >>> 2) + r * Np);
    gemm(mem, buf.x, this.w, buf.y, rows, this.bias !== null); // y = b + x·Wᵀ
    getRows(f32, buf.y >>> 2, rows, N, Np, out);
  }

  /** Returns the memory (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.mem.drop(this, this.blocks);
    this.buffers.clear();
  }
}
