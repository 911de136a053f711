import type { KernelConfig, KernelFunc, OneHotAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { DTypeError } from '../errors';
import { OneHot, WASM } from './kernel-names';
import { heapView, sizeOf, type WasmBackend } from './heap';

/**
 * `OneHot` for the wasm backend. tfjs-backend-wasm 4.22's kernel ignores the `dtype` attribute: it
 * writes int32 bits and labels them with the requested dtype, so `tf.oneHot(ids, V, 1, 0,
 * 'float32')` reads back as denormals. This one writes values of the requested dtype. Ids outside
 * `[0, depth)` give a row of `offValue`, as on the cpu backend.
 */
function oneHot(args: {
  inputs: { indices: TensorInfo };
  backend: WasmBackend;
  attrs: OneHotAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { indices } = inputs;
  const { depth, onValue, offValue, dtype } = attrs;
  if (indices.dtype !== 'int32') {
    throw new DTypeError({
      fn: 'oneHot',
      argument: 'indices',
      expected: "an 'int32' tensor",
      received: `a '${indices.dtype}' tensor`,
    });
  }
  const rows = sizeOf(indices.shape);
  // Allocate first: it can grow the heap and detach views taken before it.
  const out = backend.makeOutput([...indices.shape, depth], dtype); // [..., depth]
  const outVals = heapView(backend, out, rows * depth);
  outVals.fill(offValue);
  if (rows === 0 || depth === 0) return out;
  const ids = heapView(backend, indices, rows);
  for (let r = 0; r < rows; r++) {
    const id = ids[r]!;
    if (id >= 0 && id < depth) outVals[r * depth + id] = onValue;
  }
  return out;
}

export const oneHotConfig: KernelConfig = {
  kernelName: OneHot,
  backendName: WASM,
  kernelFunc: oneHot as unknown as KernelFunc,
};
