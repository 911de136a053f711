import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { DTypeError } from '../errors';

/** What a tfjs-backend-wasm record of one tensor holds (its `dataIdMap` entry). */
export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
  refCount: number;
}

/**
 * The part of tfjs-backend-wasm's `BackendWasm` our kernels use. Typed here rather than imported
 * because the package does not export the class from its entry point.
 */
export interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

export type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * A zero-copy view of a tensor's bytes in the wasm heap. Take it only after every allocation of
 * the kernel: allocating can grow the heap, which detaches earlier views.
 */
export function heapView(backend: WasmBackend, info: TensorInfo, size: number): HeapArray {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined)
    throw new Error(
      `wasm kernel: tensor data ${JSON.stringify(info.dataId)} is not on the wasm backend`,
    );
  const buffer = backend.wasm.HEAPU8.buffer;
  switch (info.dtype) {
    case 'float32':
      return new Float32Array(buffer, data.memoryOffset, size);
    case 'int32':
      return new Int32Array(buffer, data.memoryOffset, size);
    case 'bool':
      return new Uint8Array(buffer, data.memoryOffset, size);
    default:
      throw new DTypeError({
        fn: 'wasm kernel',
        argument: 'x',
        expected: "'float32', 'int32' or 'bool'",
        received: info.dtype,
      });
  }
}

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
