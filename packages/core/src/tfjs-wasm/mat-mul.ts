import { broadcast_util, getKernel } from '@tensorflow/tfjs-core';
import type {
  BatchMatMulAttrs,
  DataType,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  TensorInfo,
  _FusedMatMulAttrs,
} from '@tensorflow/tfjs-core';
import { BatchMatMul, WASM, _FusedMatMul } from './kernel-names';
import { heapView, sizeOf, type WasmBackend } from './heap';
import { moduleMatMul } from './module-mat-mul';

// The wasm backend's BatchMatMul and _FusedMatMul. A float32 product with an unbatched right side
// goes to our module's GEMM where module/route.ts sends it (module-mat-mul.ts); every other one to
// XNNPACK. tfjs-backend-wasm 4.22 itself sends a matmul to XNNPACK only when neither side is
// transposed and both batch sizes are 1; anything else runs a scalar blocked loop about 15 to 50
// times slower (and matMul's gradient is made of exactly those transposed products). These
// wrappers transpose explicitly (a blocked copy through heap views), fold a batched left side into
// the rows of one product, split other batches into single products, and then call the original
// kernel on the fast path only.

/** Batched products smaller than this (M·K·N) stay on the original loop: splitting costs more. */
const SPLIT_MIN_WORK = 8192;

interface MatMulShapes {
  m: number;
  k: number;
  n: number;
  batchA: number[];
  batchB: number[];
  batchOut: number[];
  outShape: number[];
}

function shapesOf(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): MatMulShapes | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return undefined; // let the original kernel report it
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  let batchOut: number[];
  try {
    batchOut = broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  } catch {
    return undefined;
  }
  return { m, k, n, batchA, batchB, batchOut, outShape: [...batchOut, m, n] };
}

function run(
  name: string,
  inputs: Record<string, TensorInfo>,
  backend: WasmBackend,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernel(name, WASM);
  return kernel.kernelFunc({ inputs, backend: backend as never, attrs }) as TensorInfo;
}

/** Tile edge of the blocked transpose: 32 x 32 floats (4 KB) per tile stay in cache. */
const TILE = 32;

/**
 * `x` with its last two dims swapped, as a new wasm tensor the caller disposes. A blocked loop
 * over views of the heap: several times faster than the wasm Transpose kernel on these shapes,
 * which costs more than the product it feeds.
 */
function transposeLast2(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const rows = x.shape[r - 2]!;
  const cols = x.shape[r - 1]!;
  const batch = sizeOf(x.shape.slice(0, -2));
  const out = backend.makeOutput([...x.shape.slice(0, -2), cols, rows], x.dtype); // allocate, then view
  const size = batch * rows * cols;
  if (size === 0) return out;
  const src = heapView(backend, x, size);
  const dst = heapView(backend, out, size);
  if (rows === 1 || cols === 1) {
    dst.set(src);
    return out;
  }
  for (let p = 0; p < batch; p++) {
    const base = p * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += TILE) {
      const i1 = Math.min(i0 + TILE, rows);
      for (let j0 = 0; j0 < cols; j0 += TILE) {
        const j1 = Math.min(j0 + TILE, cols);
        for (let i = i0; i < i1; i++) {
          let s = base + i * cols + j0;
          let d = base + j0 * rows + i;
          for (let j = j0; j < j1; j++, s++, d += rows) dst[d] = src[s]!;
        }
      }
    }
  }
  return out;
}

function view(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

function zeros(backend: WasmBackend, shape: number[], dtype: DataType): TensorInfo {
  const out = backend.makeOutput(shape, dtype);
  const n = sizeOf(shape);
  if (n > 0) heapView(backend, out, n).fill(0);
  return out;
}

/** Flat index into `inShape` (right-aligned, broadcast) of flat index `i` of `outShape`. */
function broadcastIndex(
  i: number,
  outShape: readonly number[],
  inShape: readonly number[],
): number {
  let result = 0;
  let inStride = 1;
  let rest = i;
  for (let d = outShape.length - 1, e = inShape.length - 1; d >= 0; d--, e--) {
    const size = outShape[d]!;
    const coord = rest % size;
    rest = (rest - coord) / size;
    if (e >= 0) {
      const inSize = inShape[e]!;
      if (inSize !== 1) result += coord * inStride;
      inStride *= inSize;
    }
  }
  return result;
}

// Rough costs per element on one wasm thread, in ns: copying a matrix transposed, and XNNPACK
// packing a new right-hand side (it reads the [K, N] weights with stride N). Both become
// memory-bound once the matrix outgrows the cache (measured: about 2 to 10 and 10 to 60 ns).
const BIG = 65536;
const transposeCost = (elements: number): number => elements * (elements > BIG ? 15 : 3);
const packCost = (elements: number): number => elements * (elements > BIG ? 60 : 10);

/**
 * Right-hand sides the stock kernel has packed and cached (by tensor id, until disposal): weights
 * used untransposed, whose next product costs no packing. Keyed by dataId, so it forgets them
 * with the tensor.
 */
const packedWeights = new WeakSet<object>();

/**
 * Whether computing Cᵀ = op(B)ᵀ·op(A)ᵀ (packing op(A)ᵀ, [K, M]) beats C = op(A)·op(B) (packing
 * op(B), [K, N], nothing when `bPacked`). It does when A is the small side, as in matMul's
 * input gradient dY·Wᵀ.
 */
function swapIsCheaper(
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
  bPacked: boolean,
): boolean {
  const direct =
    (transposeA ? transposeCost(m * k) : 0) +
    (transposeB ? transposeCost(k * n) : 0) +
    (bPacked ? 0 : packCost(k * n));
  const swapped =
    (transposeB ? 0 : transposeCost(k * n)) +
    (transposeA ? 0 : transposeCost(m * k)) +
    transposeCost(m * n) +
    packCost(k * m);
  return swapped < direct;
}

/** A copy of block `index` ([rows, cols]) of a packed [batch, rows, cols] float32 tensor. */
function copyBatch(
  backend: WasmBackend,
  x: TensorInfo,
  index: number,
  rows: number,
  cols: number,
  total: number,
): TensorInfo {
  const out = backend.makeOutput([1, rows, cols], 'float32');
  const size = rows * cols;
  const src = heapView(backend, x, total);
  heapView(backend, out, size).set(src.subarray(index * size, (index + 1) * size));
  return out;
}

/**
 * `a · b` (with the transposes) through the original kernel's XNNPACK path only; `undefined`
 * when the original kernel should handle it as it is.
 */
function fastMatMul(
  backend: WasmBackend,
  original: KernelFunc,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo | undefined {
  const s = shapesOf(a, b, transposeA, transposeB);
  if (s === undefined) return undefined;
  const { m, k, n, batchA, batchB, batchOut, outShape } = s;
  const nA = sizeOf(batchA);
  const nB = sizeOf(batchB);
  const nOut = sizeOf(batchOut);
  if (nOut * m * n === 0 || k === 0) return zeros(backend, outShape, 'float32');
  if (!transposeA && !transposeB && nA === 1 && nB === 1) {
    packedWeights.add(b.dataId); // the stock kernel packs b now and keeps it
    return undefined; // already fast
  }
  if (nB !== 1 && m * k * n < SPLIT_MIN_WORK) return undefined; // tiny batched products
  const plain = { transposeA: false, transposeB: false };
  if (
    nA === 1 &&
    nB === 1 &&
    swapIsCheaper(m, k, n, transposeA, transposeB, !transposeB && packedWeights.has(b.dataId))
  ) {
    // Cᵀ = op(B)ᵀ · op(A)ᵀ: the stored B is the left side as it lies when transposed, and the
    // small op(A)ᵀ is what XNNPACK packs.
    const left = transposeB ? view(b, [1, n, k]) : transposeLast2(backend, view(b, [1, k, n])); // [1, N, K]
    // XNNPACK caches the packed right side by tensor id, assuming ids are weights that keep one
    // shape; an activation must not be cached that way, so it is always a fresh copy.
    const right = transposeA
      ? copyBatch(backend, a, 0, k, m, k * m)
      : transposeLast2(backend, view(a, [1, m, k])); // [1, K, M]
    const ct = original({
      inputs: { a: left, b: right },
      backend: backend as never,
      attrs: plain,
    }) as TensorInfo; // [1, N, M]
    const out = transposeLast2(backend, ct); // [1, M, N]
    out.shape = outShape;
    backend.disposeData(ct.dataId);
    if (!transposeB) backend.disposeData(left.dataId);
    backend.disposeData(right.dataId);
    return out;
  }
  const a3 = transposeA ? transposeLast2(backend, a) : a; // [..., M, K]
  const b3 = transposeB ? transposeLast2(backend, b) : b; // [..., K, N]
  let out: TensorInfo;
  if (nB === 1) {
    if (b3 === b) packedWeights.add(b.dataId);
    // One product: every batch of A stacked as rows, [nA·M, K] x [K, N].
    out = original({
      inputs: { a: view(a3, [1, nA * m, k]), b: view(b3, [1, k, n]) },
      backend: backend as never,
      attrs: plain,
    }) as TensorInfo;
    out.shape = outShape;
  } else {
    // One product per output batch; each B block is copied into its own tensor, which is what
    // XNNPACK packs (and caches by tensor id until we dispose it).
    out = backend.makeOutput(outShape, 'float32');
    for (let i = 0; i < nOut; i++) {
      const ia = broadcastIndex(i, batchOut, batchA);
      const ib = broadcastIndex(i, batchOut, batchB);
      const aPart = nA === 1 ? view(a3, [1, m, k]) : copyBatch(backend, a3, ia, m, k, nA * m * k);
      const bPart = copyBatch(backend, b3, ib, k, n, nB * k * n);
      const prod = original({
        inputs: { a: aPart, b: bPart },
        backend: backend as never,
        attrs: plain,
      }) as TensorInfo;
      // Views after all allocations of this round.
      heapView(backend, out, nOut * m * n).set(heapView(backend, prod, m * n), i * m * n);
      backend.disposeData(prod.dataId);
      backend.disposeData(bPart.dataId);
      if (nA !== 1) backend.disposeData(aPart.dataId);
    }
  }
  if (a3 !== a) backend.disposeData(a3.dataId);
  if (b3 !== b) backend.disposeData(b3.dataId);
  return out;
}

// XNNPACK's fully-connected product has no blocking over the shared dimension K: with a very long
// K the packed right side and a row panel of the left side fall out of cache. Measured here on a
// quiet machine (same process, interleaved): the word LM's head input gradient
// [2240, 5000]·[5000, 512] ran at 21.2 GFLOP/s as one product and at 26.8 as ten products over
// 500-wide slices of K, summed. At K ≈ 2048 one product is faster (31 against 27), and small-M
// products (a recurrent step's [64, 2048]·[2048, 512]: 31 against 15) lose XNNPACK's cached
// packing of their weight, so only long-K, many-row products are split. Products with a
// transposed side take the transposed-copy route below instead (splitting them measured 25 -> 10).
/** Products with a shared dimension at least this long are split over K. */
const KSPLIT_MIN_K = 4096;
/** Widest K slice of a split product. */
const KSPLIT_SLICE = 512;
/** Split only products with at least this many rows on the left. */
const KSPLIT_MIN_M = 256;

/** Columns [c0, c1) of a [rows, cols] float32 tensor, as a new [rows, c1 - c0] tensor. */
function copyColumns(
  backend: WasmBackend,
  x: TensorInfo,
  rows: number,
  cols: number,
  c0: number,
  c1: number,
): TensorInfo {
  const w = c1 - c0;
  const out = backend.makeOutput([rows, w], 'float32');
  const src = heapView(backend, x, rows * cols);
  const dst = heapView(backend, out, rows * w);
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols + c0, r * cols + c1), r * w);
  return out;
}

/** Rows [r0, r1) of a [rows, cols] float32 tensor, as a new tensor (a fresh id: XNNPACK caches what it packs by id). */
function copyRows(
  backend: WasmBackend,
  x: TensorInfo,
  rows: number,
  cols: number,
  r0: number,
  r1: number,
): TensorInfo {
  const out = backend.makeOutput([r1 - r0, cols], 'float32');
  heapView(backend, out, (r1 - r0) * cols).set(
    heapView(backend, x, rows * cols).subarray(r0 * cols, r1 * cols),
  );
  return out;
}

/** a · b for unbatched, untransposed operands with a long K, as a sum of products over slices of K; `undefined` when not worth it. */
function splitOverK(
  backend: WasmBackend,
  original: KernelFunc,
  a: TensorInfo,
  b: TensorInfo,
): TensorInfo | undefined {
  const s = shapesOf(a, b, false, false);
  if (s === undefined || sizeOf(s.batchA) !== 1 || sizeOf(s.batchB) !== 1) return undefined;
  const { m, k, n, outShape } = s;
  if (k < KSPLIT_MIN_K || m < KSPLIT_MIN_M) return undefined;
  const slices = Math.ceil(k / KSPLIT_SLICE);
  const width = Math.ceil(k / slices);
  const plain = { transposeA: false, transposeB: false };
  let out: TensorInfo | undefined;
  for (let k0 = 0; k0 < k; k0 += width) {
    const k1 = Math.min(k0 + width, k);
    const aPart = copyColumns(backend, a, m, k, k0, k1); // [m, k1 - k0]
    const bPart = copyRows(backend, b, k, n, k0, k1); // [k1 - k0, n]
    const part = original({
      inputs: { a: aPart, b: bPart },
      backend: backend as never,
      attrs: plain,
    }) as TensorInfo; // [m, n]
    backend.disposeData(aPart.dataId);
    backend.disposeData(bPart.dataId);
    if (out === undefined) {
      out = part;
      continue;
    }
    // Views after every allocation of this round.
    const acc = heapView(backend, out, m * n);
    const add = heapView(backend, part, m * n);
    for (let i = 0; i < m * n; i++) acc[i] = acc[i]! + add[i]!;
    backend.disposeData(part.dataId);
  }
  out!.shape = outShape;
  return out;
}

/** Wraps the registered wasm `BatchMatMul`: our GEMM where the route says so, else XNNPACK (transposed and batched products included). */
export function makeBatchMatMulConfig(original: KernelConfig): KernelConfig {
  const originalFunc = original.kernelFunc;
  const kernelFunc = (args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: WasmBackend;
    attrs: BatchMatMulAttrs;
  }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    if (a.dtype === 'float32' && b.dtype === 'float32') {
      const { transposeA, transposeB } = attrs;
      const ours = moduleMatMul(backend, a, b, transposeA, transposeB);
      if (ours !== undefined) return ours;
      const split =
        !transposeA && !transposeB ? splitOverK(backend, originalFunc, a, b) : undefined;
      const out = split ?? fastMatMul(backend, originalFunc, a, b, transposeA, transposeB);
      if (out !== undefined) return out;
    }
    return originalFunc(args as never) as TensorInfo;
  };
  return {
    ...original,
    kernelName: BatchMatMul,
    backendName: WASM,
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}

/**
 * Wraps the registered wasm `_FusedMatMul` (tf.fused.matMul): products whose right side has no
 * batch and whose bias is absent or one value per output column go to the original fused kernel
 * with explicit transposes; anything else (a batched right side, a broadcast bias, which the stock
 * kernel refuses or misreads) runs as a fast matmul followed by the wasm Add and activation kernels.
 */
export function makeFusedMatMulConfig(
  original: KernelConfig,
  batchMatMul: KernelFunc,
): KernelConfig {
  const originalFunc = original.kernelFunc;
  type Inputs = {
    a: TensorInfo;
    b: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const kernelFunc = (args: {
    inputs: Inputs;
    backend: WasmBackend;
    attrs: _FusedMatMulAttrs;
  }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b, bias, preluActivationWeights } = inputs;
    const { transposeA, transposeB, activation, leakyreluAlpha } = attrs;
    const s =
      a.dtype === 'float32' && b.dtype === 'float32'
        ? shapesOf(a, b, transposeA, transposeB)
        : undefined;
    if (s === undefined) return originalFunc(args as never) as TensorInfo;
    const { m, k, n, batchA, batchB, outShape } = s;
    const biasFits =
      bias == null || (bias.shape.length === 1 && bias.shape[0] === n && bias.dtype === 'float32');
    // The stock fused prelu aborts the wasm module in 4.22: prelu always goes the unfused way.
    if (
      biasFits &&
      activation !== 'prelu' &&
      sizeOf(batchB) === 1 &&
      k > 0 &&
      sizeOf(outShape) > 0
    ) {
      const nA = sizeOf(batchA);
      const a3 = transposeA ? transposeLast2(backend, a) : a;
      const b3 = transposeB ? transposeLast2(backend, b) : b;
      const fusedInputs: Inputs = { a: view(a3, [1, nA * m, k]), b: view(b3, [1, k, n]) };
      if (bias != null) fusedInputs.bias = bias;
      const out = originalFunc({
        inputs: fusedInputs,
        backend: backend as never,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      } as never) as TensorInfo;
      out.shape = outShape;
      if (a3 !== a) backend.disposeData(a3.dataId);
      if (b3 !== b) backend.disposeData(b3.dataId);
      return out;
    }
    // Unfused: product, bias, activation, each through a wasm kernel.
    let y = batchMatMul({
      inputs: { a, b },
      backend: backend as never,
      attrs: { transposeA, transposeB },
    }) as TensorInfo;
    const step = (next: TensorInfo): void => {
      backend.disposeData(y.dataId);
      y = next;
    };
    if (bias != null) step(run('Add', { a: y, b: bias }, backend));
    switch (activation) {
      case 'linear':
        break;
      case 'relu':
        step(run('Relu', { x: y }, backend));
        break;
      case 'relu6':
        step(run('Relu6', { x: y }, backend));
        break;
      case 'elu':
        step(run('Elu', { x: y }, backend));
        break;
      case 'sigmoid':
        step(run('Sigmoid', { x: y }, backend));
        break;
      case 'leakyrelu':
        step(run('LeakyRelu', { x: y }, backend, { alpha: leakyreluAlpha ?? 0.2 }));
        break;
      case 'prelu':
        if (preluActivationWeights == null)
          throw new Error('fused matMul: prelu needs preluActivationWeights');
        step(run('Prelu', { x: y, alpha: preluActivationWeights }, backend));
        break;
      default:
        backend.disposeData(y.dataId);
        return originalFunc(args as never) as TensorInfo;
    }
    return y;
  };
  return {
    ...original,
    kernelName: _FusedMatMul,
    backendName: WASM,
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
