// Recurrent's WebAssembly SIMD module (AssemblyScript), built by scripts/build-wasm.mjs and loaded
// by src/module/. Memory is laid out by the TypeScript side (src/module/memory.ts): every function
// takes byte offsets into this module's memory and allocates nothing.
//
// One weight layout and one matrix kernel: a product's right side is packed in panels of 8
// columns (gemm.ts), and every product, per-step or whole-sequence, training or generation, is
// `gemm`. The cells supply only their gate math (cells.ts), the time loop runs over a range of
// batch rows (sequence.ts); the loss its own pass (loss.ts).
//
// Two builds of the same source: one with its own memory (one thread), one importing a shared
// memory (src/module/threads.ts: an instance per thread over one memory). The functions keep no
// state outside their arguments' blocks (no mutable globals, no start function: the build checks),
// so any number of instances can run them at once on disjoint outputs.

import { expv, sigmoidv, tanhv } from './math';

export * from './gemm';
export * from './cells';
export * from './loss';
export * from './sequence';

/** The first free byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** dst[i] = f(src[i]) for i < n (n a multiple of 4): 0 exp, 1 sigmoid, 2 tanh (for accuracy tests). */
export function mapValues(fn: i32, src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const at = <usize>i << 2;
    const x = v128.load(src + at);
    const y = fn === 0 ? expv(x) : fn === 1 ? sigmoidv(x) : tanhv(x);
    v128.store(dst + at, y);
  }
}
