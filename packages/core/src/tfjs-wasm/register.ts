import {
  getKernel,
  getKernelsForBackend,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import {
  BatchMatMul,
  OneHot,
  Slice,
  SplitV,
  Unpack,
  UnsortedSegmentSum,
  WASM,
  _FusedMatMul,
} from './kernel-names';
import { oneHotConfig } from './one-hot';
import { makeBatchMatMulConfig, makeFusedMatMulConfig } from './mat-mul';
import { makeSliceConfig, makeSplitVConfig, makeUnpackConfig } from './slice';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';

/** Marks our configs, so a second copy of this module (one shared registry) never wraps a wrapper. */
const MARK = Symbol.for('@recurrent/core.wasmFix');

/** The kernels that were registered for wasm before ours (undefined: none was). */
const originals = new Map<string, KernelConfig | undefined>();

function isOurs(config: KernelConfig | undefined): boolean {
  return config !== undefined && (config as unknown as Record<symbol, unknown>)[MARK] === true;
}

function current(name: string): KernelConfig | undefined {
  return getKernelsForBackend(WASM).find((k) => k.kernelName === name);
}

function install(
  name: string,
  make: (original: KernelConfig | undefined) => KernelConfig | undefined,
): void {
  const before = current(name);
  if (isOurs(before)) return;
  const made = make(before);
  if (made === undefined) return;
  const config: KernelConfig = { ...made };
  Object.defineProperty(config, MARK, { value: true });
  originals.set(name, before);
  if (before !== undefined) unregisterKernel(name, WASM);
  registerKernel(config);
}

/**
 * Registers Recurrent's fixes for tfjs-backend-wasm 4.22's known traps (see ../shared/ANCHORS.md):
 * - `UnsortedSegmentSum` for wasm, so the gradient of `gather` (an Embedding) works;
 * - `BatchMatMul` wrapped so float32 products with an unbatched right side run on our module's
 *   GEMM where module/route.ts sends them, and the rest, transposed and batched ones included,
 *   take XNNPACK; `_FusedMatMul` wrapped likewise for XNNPACK;
 * - `Slice`, `Unpack` (unstack) and `SplitV` copying only the bytes they return;
 * - `OneHot` writing values of the dtype asked for (the stock kernel writes int32 bits).
 * Idempotent; `init()` calls it after the wasm backend is ready. No-op without a wasm backend.
 */
export function registerWasmFixes(): void {
  if (current(BatchMatMul) === undefined && current(Slice) === undefined) return; // wasm not loaded
  install(UnsortedSegmentSum, (before) =>
    before === undefined ? unsortedSegmentSumConfig : undefined,
  );
  install(BatchMatMul, (before) =>
    before === undefined ? undefined : makeBatchMatMulConfig(before),
  );
  install(_FusedMatMul, (before) => {
    const batchMatMul = getKernel(BatchMatMul, WASM);
    return before === undefined ? undefined : makeFusedMatMulConfig(before, batchMatMul.kernelFunc);
  });
  install(Slice, (before) =>
    before === undefined ? undefined : makeSliceConfig(before.kernelFunc),
  );
  install(Unpack, (before) =>
    before === undefined ? undefined : makeUnpackConfig(before.kernelFunc),
  );
  install(SplitV, (before) =>
    before === undefined ? undefined : makeSplitVConfig(before.kernelFunc),
  );
  install(OneHot, () => oneHotConfig);
}

/**
 * Puts back the kernels tfjs-backend-wasm registered (for benchmarks and tests that measure the
 * stock behaviour). `registerWasmFixes()` installs ours again.
 */
export function unregisterWasmFixes(): void {
  for (const [name, before] of originals) {
    if (isOurs(current(name))) unregisterKernel(name, WASM);
    if (before !== undefined) registerKernel(before);
  }
  originals.clear();
}

/** Whether our wasm kernels are the registered ones now. */
export function wasmFixesRegistered(): boolean {
  return isOurs(current(BatchMatMul)) || isOurs(current(UnsortedSegmentSum));
}
