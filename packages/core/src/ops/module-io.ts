// Values moved between tensors and our module's memory. On the wasm backend a tensor's values
// are read straight from tfjs's heap (no intermediate copy); elsewhere through dataSync.
import { tf, type Tensor } from '../runtime/tf';
import { getRows, putRows } from '../module/cells';
import type { ModuleMemory } from '../module/memory';
import { heapView, type WasmBackend } from '../tfjs-wasm/heap';

/** A float32 tensor's values: a view of tfjs's heap on wasm (valid until tfjs allocates), else a copy. */
export function readValues(t: Tensor): Float32Array {
  if (tf.getBackend() === 'wasm')
    return heapView(tf.backend() as unknown as WasmBackend, t, t.size) as Float32Array;
  return t.dataSync() as Float32Array;
}

/** Writes a tensor's values into the block at byte offset `at`: rows of `width` values, `stride` apart (zeros between). */
export function putTensor(
  mem: ModuleMemory,
  at: number,
  t: Tensor,
  rows: number,
  width: number,
  stride: number,
): void {
  putRows(mem.f32, at >>> 2, readValues(t), rows, width, stride);
}

/** A float32 tensor of `shape` from the block at byte offset `at`: rows of `width` values, `stride` apart. */
export function tensorFromModule(
  mem: ModuleMemory,
  at: number,
  shape: number[],
  rows: number,
  width: number,
  stride: number,
): Tensor {
  // The wasm backend copies what it is given into its heap; other backends keep the array.
  const view = width === stride && tf.getBackend() === 'wasm';
  const values = view
    ? mem.view(at, rows * width)
    : getRows(mem.f32, at >>> 2, rows, width, stride);
  return tf.tensor(values, shape, 'float32');
}
