// Our GEMM (assembly/gemm.ts) and its one weight layout: a product's right side B [K, N] packed
// into ceil(N/8) panels of K×8 floats (zero past N). Left sides and results are row-major blocks
// of the module's memory; a result's rows are `stride(N)` floats apart.
import type { ModuleMemory } from './memory';
import { threadChunks } from './route';

/** A right side packed in the module's memory. */
export interface PackedRight {
  /** Byte offset of the panels. */
  readonly at: number;
  readonly K: number;
  readonly N: number;
  readonly panels: number;
}

/** Floats per row of a product's result with N columns (whole panels). */
export function stride(N: number): number {
  return Math.ceil(N / 8) * 8;
}

/**
 * Packs B from the block `raw` of the memory: B [K, N] row-major, or with `transposed` W [N, K]
 * (B = Wᵀ, a PyTorch weight used as x·Wᵀ). Null where the memory cannot grow that far. Allocates.
 */
export function packRightFrom(
  mem: ModuleMemory,
  raw: number,
  K: number,
  N: number,
  transposed: boolean,
): PackedRight | null {
  const panels = Math.ceil(N / 8);
  const got = mem.tryAlloc(panels * 8 * K);
  if (!got) return null;
  const at = got[0]!;
  if (transposed) mem.fns.packPanelsTransposed(raw, N, K, at);
  else mem.fns.packPanels(raw, K, N, at);
  return { at, K, N, panels };
}

/** Packs B from `values` ([K, N], or with `transposed` W [N, K]); null where the memory cannot grow. Allocates. */
export function packRight(
  mem: ModuleMemory,
  values: Float32Array,
  K: number,
  N: number,
  transposed: boolean,
): PackedRight | null {
  const got = mem.tryAlloc(K * N);
  if (!got) return null;
  const raw = got[0]!;
  mem.f32.set(values.subarray(0, K * N), raw >>> 2);
  const packed = packRightFrom(mem, raw, K, N, transposed);
  mem.release(raw);
  return packed;
}

/**
 * C = A·B (or C += A·B with `accumulate`) for `rows` rows: A at byte offset `a` (rows of B.K
 * floats), C at `c` (rows of stride(B.N) floats). Does not allocate. With threads and enough
 * work, cut into chunks of rows (whole 4-row tiles), or for few rows of panels of 8 columns: each
 * output sums in the same order whichever thread computes it, so the result is the same bits.
 */
export function gemm(
  mem: ModuleMemory,
  a: number,
  b: PackedRight,
  c: number,
  rows: number,
  accumulate = false,
): void {
  const acc = accumulate ? 1 : 0;
  const { K, panels } = b;
  if (threadChunks(mem, rows * K * panels * 8) <= 1) {
    mem.fns.gemm(a, b.at, c, rows, K, panels, acc);
    return;
  }
  const rowC = 32 * panels;
  splitProduct(mem, rows, b, 'gemmPanels', (r0, r1, p0, p1) => [
    a + 4 * K * r0,
    b.at,
    c + rowC * r0,
    r1 - r0,
    K,
    p0,
    p1,
    panels,
    acc,
  ]);
}

/**
 * C = Aᵀ·B (or C += Aᵀ·B) for A stored as the row-major block at `a` of B.K rows, `lda` floats
 * apart, whose first `rows` columns are used: a weight gradient dYᵀ·X read where dY lies, with no
 * transposed copy. The same bits as `gemm` on a transposed copy. Does not allocate.
 */
export function gemmTransposedA(
  mem: ModuleMemory,
  a: number,
  lda: number,
  b: PackedRight,
  c: number,
  rows: number,
  accumulate = false,
): void {
  const acc = accumulate ? 1 : 0;
  const { K, panels } = b;
  const rowC = 32 * panels;
  splitProduct(mem, rows, b, 'gemmTransA', (r0, r1, p0, p1) => [
    a + 4 * r0,
    lda,
    b.at,
    c + rowC * r0,
    r1 - r0,
    K,
    p0,
    p1,
    panels,
    acc,
  ]);
}

/**
 * Runs a product of `rows` rows against `b` on the pool (one call where it is too small to cut):
 * chunks of whole 4-row tiles, or, for few rows, of panels. `args(r0, r1, p0, p1)` gives the
 * kernel's arguments for rows [r0, r1) and panels [p0, p1).
 */
function splitProduct(
  mem: ModuleMemory,
  rows: number,
  b: PackedRight,
  kernel: 'gemmPanels' | 'gemmTransA',
  args: (r0: number, r1: number, p0: number, p1: number) => number[],
): void {
  const chunks = threadChunks(mem, rows * b.K * b.panels * 8);
  if (chunks > 1 && (rows >= 16 * chunks || rows >= 4 * b.panels))
    mem.parallel(kernel, rows, chunks, 4, (lo, hi) => args(lo, hi, 0, b.panels));
  else mem.parallel(kernel, b.panels, chunks, 1, (lo, hi) => args(0, rows, lo, hi));
}
