import { backend_util, slice_util, util } from '@tensorflow/tfjs-core';
import type {
  KernelConfig,
  KernelFunc,
  SliceAttrs,
  SplitVAttrs,
  TensorInfo,
  UnpackAttrs,
} from '@tensorflow/tfjs-core';
import { Slice, SplitV, Unpack, WASM } from './kernel-names';
import { heapView, sizeOf, type HeapArray, type WasmBackend } from './heap';

// tfjs-backend-wasm 4.22 reads the whole input back through `readSync` (a copy of every byte)
// for each slice, so cutting a [T, B, H] sequence into T steps costs O(T^2). These kernels copy
// only the bytes they return, straight from views of the wasm heap.

/** Below this many elements a contiguous run is copied by a loop rather than `TypedArray.set`. */
const SHORT_RUN = 16;

/**
 * Copies the block `begin`/`size` of `src` (shape `shape`) into `dst` (row-major, packed).
 * Trailing dimensions taken whole merge into one contiguous run, so a slice along the leading
 * axis is a single `set`.
 */
function copyBlock(
  src: HeapArray,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: HeapArray,
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  const strides = new Array<number>(rank); // element strides of every dim
  strides[rank - 1] = 1;
  for (let k = rank - 2; k >= 0; k--) strides[k] = strides[k + 1]! * shape[k + 1]!;
  // The run covers dim `d` and every dim after it, which are all taken whole.
  let d = rank - 1;
  while (d > 0 && size[d] === shape[d]) d--;
  const run = size[d]! * strides[d]!;
  const start = begin[d]! * strides[d]!;
  // Walk the outer dims 0..d-1 with an odometer.
  const idx = new Array<number>(d).fill(0);
  const outer = sizeOf(size.slice(0, d));
  let o = 0;
  for (let n = 0; n < outer; n++) {
    let off = start;
    for (let k = 0; k < d; k++) off += (begin[k]! + idx[k]!) * strides[k]!;
    if (run >= SHORT_RUN) {
      dst.set(src.subarray(off, off + run), o);
    } else {
      for (let j = 0; j < run; j++) dst[o + j] = src[off + j]!;
    }
    o += run;
    for (let k = d - 1; k >= 0; k--) {
      if (++idx[k]! < size[k]!) break;
      idx[k] = 0;
    }
  }
}

function isNumeric(dtype: string): boolean {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

type Original = KernelFunc;

/** Slices one block of `x` into a fresh output (begin/size already normalised). */
function sliceInto(
  backend: WasmBackend,
  x: TensorInfo,
  begin: number[],
  size: number[],
): TensorInfo {
  const out = backend.makeOutput(size, x.dtype); // allocate before taking views
  const n = sizeOf(size);
  if (n === 0) return out;
  copyBlock(heapView(backend, x, sizeOf(x.shape)), x.shape, begin, size, heapView(backend, out, n));
  return out;
}

export function makeSliceConfig(original: Original): KernelConfig {
  const kernelFunc = (args: {
    inputs: { x: TensorInfo };
    backend: WasmBackend;
    attrs: SliceAttrs;
  }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (!isNumeric(x.dtype)) return original(args as never) as TensorInfo;
    const [begin, size] = slice_util.parseSliceParams(x, attrs.begin, attrs.size) as [
      number[],
      number[],
    ];
    slice_util.assertParamsValid(x, begin, size);
    return sliceInto(backend, x, begin, size);
  };
  return { kernelName: Slice, backendName: WASM, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function makeUnpackConfig(original: Original): KernelConfig {
  const kernelFunc = (args: {
    inputs: { value: TensorInfo };
    backend: WasmBackend;
    attrs: UnpackAttrs;
  }): TensorInfo[] => {
    const { inputs, backend, attrs } = args;
    const { value } = inputs;
    if (!isNumeric(value.dtype)) return original(args as never) as TensorInfo[];
    const rank = value.shape.length;
    const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
    const count = value.shape[axis]!;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const outer = sizeOf(value.shape.slice(0, axis));
    const inner = sizeOf(value.shape.slice(axis + 1));
    // All outputs first, then views (an allocation can detach earlier views).
    const outs: TensorInfo[] = [];
    for (let i = 0; i < count; i++) outs.push(backend.makeOutput(outShape, value.dtype));
    const n = outer * inner;
    if (n === 0) return outs;
    const src = heapView(backend, value, sizeOf(value.shape));
    for (let i = 0; i < count; i++) {
      const dst = heapView(backend, outs[i]!, n);
      if (outer === 1) {
        dst.set(src.subarray(i * inner, (i + 1) * inner));
        continue;
      }
      copyBlock(src, [outer, count, inner], [0, i, 0], [outer, 1, inner], dst);
    }
    return outs;
  };
  return { kernelName: Unpack, backendName: WASM, kernelFunc: kernelFunc as unknown as KernelFunc };
}

export function makeSplitVConfig(original: Original): KernelConfig {
  const kernelFunc = (args: {
    inputs: { x: TensorInfo };
    backend: WasmBackend;
    attrs: SplitVAttrs;
  }): TensorInfo[] => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (!isNumeric(x.dtype)) return original(args as never) as TensorInfo[];
    const axis = util.parseAxisParam(attrs.axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[axis] = s;
      const out = sliceInto(backend, x, begin.slice(), size);
      begin[axis] = begin[axis]! + s;
      return out;
    });
  };
  return { kernelName: SplitV, backendName: WASM, kernelFunc: kernelFunc as unknown as KernelFunc };
}
