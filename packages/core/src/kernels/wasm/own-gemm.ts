// Matrix products on our own WebAssembly SIMD kernel (assembly/gemm-kernels.ts) instead of the
// XNNPACK build inside tfjs-backend-wasm 4.22. Measured on this project's 2-core machine in one
// process (GFLOP/s, XNNPACK against ours including the copies into and out of our module's
// memory): [1120, 512]·[512, 5000] 30.6 against 35.3, [1120, 5000]·[5000, 512] 26.5 against 38.3,
// [2048, 1120]·[1120, 512] 31.2 against 36.2, [1024]³ 31.0 against 39.2. Ours blocks over K and N
// so a block of packed B stays in L2; XNNPACK's fully-connected path streams all of B per row
// block of A. Right sides are packed once per tensor (a small cache keyed by tensor id, as
// XNNPACK's own), so a recurrent weight used at every step of a sequence is packed once.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { sharedArena, type SequenceArena } from '../../wasm/sequence-arena';
import { heapView, sizeOf, type WasmBackend } from './heap';

/** Products with fewer multiply-adds than this stay with XNNPACK (copies would dominate). */
const MIN_WORK = 1 << 16;
/** Packed right sides kept (least recently used goes first). */
const CACHE_SIZE = 6;

interface Packed {
  at: number;
  k: number;
  n: number;
  transposed: boolean;
}

const packedCache = new Map<object, Packed>();
let enabled = true;

/** Switches our GEMM off (XNNPACK for every product) or back on; for A/B measurements and tests. */
export function setOwnGemmEnabled(on: boolean): void {
  enabled = on;
}

/** Whether products may go to our GEMM (switched on, the default; the module itself may still be unusable). */
export function ownGemmEnabled(): boolean {
  return enabled;
}

/** B packed in 8-column panels (from the cache, or packed now and cached). */
function packedB(k: SequenceArena, backend: WasmBackend, b: TensorInfo, K: number, N: number, transposeB: boolean): number | null {
  const key = b.dataId;
  const hit = packedCache.get(key);
  if (hit && hit.k === K && hit.n === N && hit.transposed === transposeB) {
    packedCache.delete(key); // most recently used goes last
    packedCache.set(key, hit);
    return hit.at;
  }
  const at = k.packRight(heapView(backend, b, K * N) as Float32Array, K, N, transposeB);
  if (at === null) return null;
  if (hit) {
    packedCache.delete(key);
    k.release(hit.at);
  }
  if (packedCache.size >= CACHE_SIZE) {
    const [oldKey, old] = packedCache.entries().next().value as [object, Packed];
    packedCache.delete(oldKey);
    k.release(old.at);
  }
  packedCache.set(key, { at, k: K, n: N, transposed: transposeB });
  return at;
}

/**
 * op(a)·op(b) on our kernel for a right side without batch (a batched left side untransposed
 * is folded into rows); `undefined` when the product is not one it takes (the caller then uses
 * the XNNPACK path). `transposeA` costs one transposed copy of a; `transposeB` none (b is packed
 * from its [N, K] rows).
 */
export function ownMatMul(backend: WasmBackend, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, transposeCopy: (x: TensorInfo) => TensorInfo): TensorInfo | undefined {
  if (!enabled || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb !== 2) return undefined; // a batched right side keeps the XNNPACK path
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[1]! : b.shape[0]!;
  const N = transposeB ? b.shape[0]! : b.shape[1]!;
  const batchA = a.shape.slice(0, -2);
  const nA = sizeOf(batchA);
  if (K !== kb || (transposeA && nA !== 1)) return undefined;
  const rows = nA * m;
  if (rows * K * N < MIN_WORK || rows === 0 || N === 0) return undefined;
  const k = sharedArena();
  if (!k) return undefined;
  const outShape = [...batchA, m, N];
  const Mp = Math.ceil(rows / 4) * 4;
  const panels = Math.ceil(N / 8);
  const Np = panels * 8;
  // Where our memory cannot grow that far, XNNPACK takes the product.
  const bp = packedB(k, backend, b, K, N, transposeB);
  const blocks = bp === null ? null : k.tryAlloc(Mp * K, Mp * Np);
  if (bp === null || !blocks) return undefined;
  const [aB, cB] = blocks as [number, number];
  const aRows = transposeA ? transposeCopy(a) : a; // [rows, K]
  const f32 = k.f32; // after the last alloc
  f32.set(heapView(backend, aRows, rows * K) as Float32Array, aB >>> 2);
  if (Mp > rows) f32.fill(0, (aB >>> 2) + rows * K, (aB >>> 2) + Mp * K);
  if (aRows !== a) backend.disposeData(aRows.dataId);
  k.fns.gemm(aB, bp, cB, Mp, K, panels);
  const out = backend.makeOutput(outShape, 'float32');
  const dst = heapView(backend, out, rows * N) as Float32Array; // after makeOutput
  const c = k.f32;
  const c0 = cB >>> 2;
  if (Np === N) dst.set(c.subarray(c0, c0 + rows * N));
  else for (let r = 0; r < rows; r++) dst.set(c.subarray(c0 + r * Np, c0 + r * Np + N), r * N);
  k.release(aB, cB);
  return out;
}
