import type {
  KernelConfig,
  KernelFunc,
  TensorInfo,
  UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
import { DTypeError, InvalidArgumentError, ShapeError } from '../errors';
import { UnsortedSegmentSum, WASM } from './kernel-names';
import { heapView, sizeOf, type WasmBackend } from './heap';

const FN = 'unsortedSegmentSum';

/**
 * `UnsortedSegmentSum` for the wasm backend (tfjs 4.22 registers none, so the gradient of `gather`
 * and an Embedding cannot train there). `x` is `[...ids.shape, ...inner]`; the output is
 * `[numSegments, ...inner]` with row `s` the sum of the rows of `x` whose id is `s`. Ids outside
 * `[0, numSegments)` are dropped, as on the cpu backend.
 */
function unsortedSegmentSum(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: WasmBackend;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const numSegments = attrs.numSegments;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new DTypeError({
      fn: FN,
      argument: 'x',
      expected: "'float32' or 'int32'",
      received: x.dtype,
    });
  }
  if (segmentIds.dtype !== 'int32') {
    throw new DTypeError({
      fn: FN,
      argument: 'segmentIds',
      expected: "'int32'",
      received: segmentIds.dtype,
    });
  }
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new InvalidArgumentError({
      fn: FN,
      argument: 'numSegments',
      expected: 'a non-negative integer',
      received: numSegments,
    });
  }
  const idRank = segmentIds.shape.length;
  if (idRank > x.shape.length || segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new ShapeError({
      fn: FN,
      argument: 'segmentIds',
      expected: `a prefix of x's shape [${x.shape.join(', ')}]`,
      received: `shape [${segmentIds.shape.join(', ')}]`,
    });
  }
  const innerShape = x.shape.slice(idRank);
  const inner = sizeOf(innerShape); // elements per row
  const rows = sizeOf(segmentIds.shape);

  // Allocate first: it can grow the heap and detach views taken before it.
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype); // [S, ...inner]
  const outVals = heapView(backend, out, numSegments * inner);
  outVals.fill(0); // fresh outputs are not zeroed
  if (rows === 0 || inner === 0) return out;
  const xVals = heapView(backend, x, rows * inner);
  const ids = heapView(backend, segmentIds, rows);
  for (let r = 0; r < rows; r++) {
    const s = ids[r]!;
    if (s < 0 || s >= numSegments) continue;
    const o = s * inner;
    const i = r * inner;
    for (let k = 0; k < inner; k++) outVals[o + k] = outVals[o + k]! + xVals[i + k]!;
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: WASM,
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
