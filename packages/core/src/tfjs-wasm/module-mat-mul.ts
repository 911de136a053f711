// Tensor products on the wasm backend sent to our module's GEMM (assembly/gemm.ts) instead of
// the XNNPACK build inside tfjs-backend-wasm 4.22: the operands are copied from tfjs's heap into
// our module's memory and the result back. Measured on this project's 2-core machine in one
// process (GFLOP/s, XNNPACK against ours including those copies): [1120, 512]·[512, 5000] 30.6
// against 35.3, [1120, 5000]·[5000, 512] 26.5 against 38.3, [2048, 1120]·[1120, 512] 31.2 against
// 36.2, [1024]³ 31.0 against 39.2. Ours blocks over K and N so a block of packed B stays in L2;
// XNNPACK's fully-connected path streams all of B per row block of A. Right sides are packed once
// per tensor (a small cache keyed by tensor id, as XNNPACK's own), so a weight used at every step
// is packed once. Which products come here is module/route.ts's decision.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { gemm, gemmTransposedA, packRight, stride, type PackedRight } from '../module/gemm';
import type { ModuleMemory } from '../module/memory';
import { gemmRoute } from '../module/route';
import { heapView, sizeOf, type WasmBackend } from './heap';

/** Packed right sides kept (least recently used goes first). */
const CACHE_SIZE = 6;

interface Cached {
  /** The memory the panels are in: the one-thread instance's or the threaded one's. */
  mem: ModuleMemory;
  packed: PackedRight;
  transposed: boolean;
}

const packedCache = new Map<object, Cached>();

/** B packed for our GEMM (from the cache, or packed now and cached); null where the memory cannot grow. */
function packedB(
  mem: ModuleMemory,
  backend: WasmBackend,
  b: TensorInfo,
  K: number,
  N: number,
  transposeB: boolean,
): PackedRight | null {
  const key = b.dataId;
  const hit = packedCache.get(key);
  if (
    hit &&
    hit.mem === mem &&
    hit.packed.K === K &&
    hit.packed.N === N &&
    hit.transposed === transposeB
  ) {
    packedCache.delete(key); // most recently used goes last
    packedCache.set(key, hit);
    return hit.packed;
  }
  const packed = packRight(mem, heapView(backend, b, K * N) as Float32Array, K, N, transposeB);
  if (packed === null) return null;
  if (hit) {
    packedCache.delete(key);
    hit.mem.release(hit.packed.at);
  }
  if (packedCache.size >= CACHE_SIZE) {
    const [oldKey, old] = packedCache.entries().next().value as [object, Cached];
    packedCache.delete(oldKey);
    old.mem.release(old.packed.at);
  }
  packedCache.set(key, { mem, packed, transposed: transposeB });
  return packed;
}

/**
 * op(a)·op(b) on our GEMM for a right side without batch (a batched left side untransposed is
 * folded into rows); `undefined` when the product does not go there (the caller then uses the
 * XNNPACK path). Neither transpose costs a copy: a transposed left side [K, m] is read where it
 * lies (gemmTransposedA), a transposed right side is packed from its [N, K] rows.
 */
export function moduleMatMul(
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
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
  if (rows === 0 || N === 0) return undefined;
  const mem = gemmRoute(rows * K * N);
  if (!mem) return undefined;
  const Np = stride(N);
  // Where our memory cannot grow that far, XNNPACK takes the product.
  const bp = packedB(mem, backend, b, K, N, transposeB);
  const blocks = bp === null ? null : mem.tryAlloc(rows * K, rows * Np);
  if (bp === null || !blocks) return undefined;
  const [aB, cB] = blocks as [number, number];
  mem.f32.set(heapView(backend, a, rows * K) as Float32Array, aB >>> 2); // after the last alloc
  if (transposeA)
    gemmTransposedA(mem, aB, m, bp, cB, rows); // a is [K, m]
  else gemm(mem, aB, bp, cB, rows); // a is [rows, K]
  const out = backend.makeOutput([...batchA, m, N], 'float32');
  const dst = heapView(backend, out, rows * N) as Float32Array; // after makeOutput
  const c = mem.f32;
  const c0 = cB >>> 2;
  if (Np === N) dst.set(c.subarray(c0, c0 + rows * N));
  else for (let r = 0; r < rows; r++) dst.set(c.subarray(c0 + r * Np, c0 + r * Np + N), r * N);
  mem.release(aB, cB);
  return out;
}
