// Compiles our WebAssembly SIMD module (assembly/, inlined as base64 by scripts/build-wasm.mjs):
// the build with relaxed SIMD where the engine validates it, else the plain SIMD one, else none.
// Each comes twice: with its own memory (one thread) and over an imported shared memory (threads).
import {
  MODULE_BASE64,
  MODULE_RELAXED_BASE64,
  MODULE_SHARED_BASE64,
  MODULE_SHARED_RELAXED_BASE64,
} from './kernels.generated';

/** Which build of the module the engine runs: with relaxed SIMD (fused multiply-adds) or plain SIMD. */
export type ModuleVariant = 'relaxed-simd' | 'simd';

type CompileState =
  | { status: 'untried' }
  | { status: 'ready'; module: WebAssembly.Module; variant: ModuleVariant }
  | { status: 'compiling' }
  | { status: 'unavailable' };

let state: CompileState = { status: 'untried' };

/** Bytes of a base64 string (atob: Node 16+ and every browser). */
export function decodeBase64(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The bytes of the build the engine validates, or null (no WebAssembly SIMD). */
function moduleBytes(): { bytes: Uint8Array<ArrayBuffer>; variant: ModuleVariant } | null {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return null;
  const relaxed = decodeBase64(MODULE_RELAXED_BASE64);
  if (WebAssembly.validate(relaxed)) return { bytes: relaxed, variant: 'relaxed-simd' };
  const plain = decodeBase64(MODULE_BASE64);
  if (WebAssembly.validate(plain)) return { bytes: plain, variant: 'simd' };
  return null;
}

/**
 * The compiled module, or null where it cannot be used (no WebAssembly SIMD) or is still
 * compiling. Compiles synchronously on first use; where that is refused (a browser's main thread
 * may limit synchronous compiles) it starts an asynchronous compile and returns null until done.
 */
export function compiledModule(): WebAssembly.Module | null {
  if (state.status === 'ready') return state.module;
  if (state.status !== 'untried') return null;
  const found = moduleBytes();
  if (!found) {
    state = { status: 'unavailable' };
    return null;
  }
  try {
    state = {
      status: 'ready',
      module: new WebAssembly.Module(found.bytes),
      variant: found.variant,
    };
    return state.module;
  } catch {
    state = { status: 'compiling' };
    WebAssembly.compile(found.bytes).then(
      (module) => (state = { status: 'ready', module, variant: found.variant }),
      () => (state = { status: 'unavailable' }),
    );
    return null;
  }
}

/**
 * Compiles the module ahead of use without blocking (for a browser's main thread; `init()` calls
 * it); resolves to whether it is usable.
 */
export async function loadWasmKernels(): Promise<boolean> {
  if (state.status === 'untried') {
    const found = moduleBytes();
    if (!found) state = { status: 'unavailable' };
    else {
      state = { status: 'compiling' };
      try {
        state = {
          status: 'ready',
          module: await WebAssembly.compile(found.bytes),
          variant: found.variant,
        };
      } catch {
        state = { status: 'unavailable' };
      }
    }
  }
  while (state.status === 'compiling') await new Promise((r) => setTimeout(r, 1));
  return state.status === 'ready';
}

/** The build in use (null: not compiled, or not usable here). */
export function compiledVariant(): ModuleVariant | null {
  return state.status === 'ready' ? state.variant : null;
}

let sharedCompiled: Promise<WebAssembly.Module | null> | null = null;

/**
 * The build over an imported shared memory (the variant `compiledVariant` reports), compiled
 * asynchronously once; null where the engine validates neither (no threads, or no SIMD).
 */
export function loadSharedModule(): Promise<WebAssembly.Module | null> {
  sharedCompiled ??= (async () => {
    if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') return null;
    for (const base64 of [MODULE_SHARED_RELAXED_BASE64, MODULE_SHARED_BASE64]) {
      const bytes = decodeBase64(base64);
      if (!WebAssembly.validate(bytes)) continue;
      try {
        return await WebAssembly.compile(bytes);
      } catch {
        return null;
      }
    }
    return null;
  })();
  return sharedCompiled;
}
