// Our own WebAssembly SIMD module (assembly/step-kernels.ts, built by scripts/build-wasm.mjs):
// compiled once, then one instance with its own memory per set of packed weights. When the
// platform has no WebAssembly SIMD (or the kernels are switched off) callers use the tfjs path.
import { STEP_KERNELS_BASE64, STEP_KERNELS_RELAXED_BASE64 } from './kernels.generated';

/** The functions the module exports (byte offsets into its memory; see assembly/step-kernels.ts). */
export interface StepKernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  mapValues(fn: number, src: number, dst: number, n: number): void;
  dense(w: number, bias: number, K: number, N: number, x: number, y: number, B: number): void;
  lstmStep(w: number, bias: number, ids: number, x: number, I: number, H: number, h: number, c: number, y: number, B: number): void;
  gruStep(w: number, bias: number, ids: number, x: number, I: number, H: number, h: number, y: number, B: number): void;
  rnnStep(w: number, bias: number, ids: number, x: number, I: number, H: number, h: number, y: number, B: number, relu: number): void;
}

/** Columns per weight panel in the kernels' layout. */
export const PANEL = 16;

/** n rounded up to whole panels. */
export function roundToPanel(n: number): number {
  return Math.ceil(n / PANEL) * PANEL;
}

type ModuleState = { status: 'untried' } | { status: 'ready'; module: WebAssembly.Module } | { status: 'compiling' } | { status: 'unavailable' };

let state: ModuleState = { status: 'untried' };
let enabled = true;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

let variant: 'relaxed-simd' | 'simd' | null = null;

/**
 * The module built with relaxed SIMD (fused multiply-adds in the GEMM) where the engine accepts
 * it, else the one with plain SIMD; null when neither validates (no WebAssembly SIMD).
 */
function moduleBytes(): Uint8Array<ArrayBuffer> | null {
  const relaxed = decode(STEP_KERNELS_RELAXED_BASE64);
  if (WebAssembly.validate(relaxed)) {
    variant = 'relaxed-simd';
    return relaxed;
  }
  const plain = decode(STEP_KERNELS_BASE64);
  if (WebAssembly.validate(plain)) {
    variant = 'simd';
    return plain;
  }
  return null;
}

/** Which build of our module is in use: with relaxed SIMD, plain SIMD, or none (not loaded or not usable). */
export function wasmKernelsVariant(): 'relaxed-simd' | 'simd' | null {
  return stepKernelModule() ? variant : null;
}

/**
 * The compiled module, or null when it cannot be used (no WebAssembly SIMD, switched off, or
 * still compiling). Compiles synchronously on first use; where that is refused (a browser's main
 * thread may limit synchronous compiles) it starts an asynchronous compile and returns null until
 * it is done.
 */
export function stepKernelModule(): WebAssembly.Module | null {
  if (!enabled) return null;
  if (state.status === 'ready') return state.module;
  if (state.status !== 'untried') return null;
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') {
    state = { status: 'unavailable' };
    return null;
  }
  const bytes = moduleBytes();
  if (!bytes) {
    state = { status: 'unavailable' }; // e.g. an engine without SIMD
    return null;
  }
  try {
    state = { status: 'ready', module: new WebAssembly.Module(bytes) };
    return state.module;
  } catch {
    state = { status: 'compiling' };
    WebAssembly.compile(bytes).then(
      (module) => (state = { status: 'ready', module }),
      () => (state = { status: 'unavailable' }),
    );
    return null;
  }
}

/** Compiles the module ahead of use, without blocking (for a browser's main thread); resolves to whether it is usable. */
export async function loadWasmKernels(): Promise<boolean> {
  if (state.status === 'untried' && typeof WebAssembly === 'object') {
    const bytes = moduleBytes();
    if (!bytes) state = { status: 'unavailable' };
    else {
      state = { status: 'compiling' };
      try {
        state = { status: 'ready', module: await WebAssembly.compile(bytes) };
      } catch {
        state = { status: 'unavailable' };
      }
    }
  }
  while (state.status === 'compiling') await new Promise((r) => setTimeout(r, 1));
  return enabled && state.status === 'ready';
}

/**
 * Switches Recurrent's own WebAssembly kernels on or off (default on where the platform supports
 * WebAssembly SIMD). Off, generation steps use the tfjs path; weights packed before the switch
 * keep the path they were packed for.
 */
export function setWasmKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Whether Recurrent's own WebAssembly SIMD kernels are in use for newly packed weights. */
export function wasmKernelsEnabled(): boolean {
  return stepKernelModule() !== null;
}

/**
 * One instance of the module and a bump allocator over its memory (64-byte aligned blocks;
 * nothing is freed: the instance and its memory go when the owner drops it).
 */
export class KernelArena<E extends StepKernelExports = StepKernelExports> {
  readonly fns: E;
  private top: number;
  private f32View: Float32Array;
  private i32View: Int32Array;

  constructor(module: WebAssembly.Module) {
    this.fns = new WebAssembly.Instance(module, {}).exports as unknown as E;
    this.top = align(this.fns.heapBase());
    this.f32View = new Float32Array(this.fns.memory.buffer);
    this.i32View = new Int32Array(this.fns.memory.buffer);
  }

  /** A float32 view of the whole memory (re-fetch after `alloc`: growing replaces the buffer). */
  get f32(): Float32Array {
    if (this.f32View.buffer !== this.fns.memory.buffer) this.f32View = new Float32Array(this.fns.memory.buffer);
    return this.f32View;
  }

  get i32(): Int32Array {
    if (this.i32View.buffer !== this.fns.memory.buffer) this.i32View = new Int32Array(this.fns.memory.buffer);
    return this.i32View;
  }

  /** A zeroed block of `count` 4-byte values; returns its byte offset. */
  alloc(count: number): number {
    const at = this.top;
    const top = align(at + 4 * count);
    const memory = this.fns.memory;
    const missing = top - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536)); // a RangeError past the limit leaves the arena as it was
    this.top = top;
    return at;
  }

  /** Bytes of the memory handed out so far (static data included). */
  get reservedBytes(): number {
    return this.top;
  }
}

/** Bytes a block of `count` 4-byte values takes in an arena. */
export function blockBytes(count: number): number {
  return align(4 * count);
}

/**
 * Builds something on a new instance of the module, or returns null where that is refused
 * (a browser's main thread may refuse to instantiate synchronously; memory may not grow): the
 * caller then uses the tfjs path.
 */
export function onKernel<T>(build: (module: WebAssembly.Module) => T): T | null {
  const module = stepKernelModule();
  if (!module) return null;
  try {
    return build(module);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}
