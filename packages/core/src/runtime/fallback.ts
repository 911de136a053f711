// Why init() could not give the WASM backend that was asked for. Each reason is a code for
// programs and a sentence for people; init() prints the sentence once, as its only warning.

export type FallbackReason =
  'no-webassembly' | 'csp' | 'binary-not-found' | 'wasm-failed' | 'no-simd';

export interface Fallback {
  reason: FallbackReason;
  message: string;
}

/** The smallest valid module: compiling it tells whether this page may compile WebAssembly at all. */
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

const CSP = /content security policy|\bcsp\b|unsafe-eval|wasm-eval|wasm-unsafe-eval/i;

function text(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error)
    return String((error as { message: unknown }).message);
  return String(error);
}

function csp(detail: string): Fallback {
  return {
    reason: 'csp',
    message: `the page's Content Security Policy forbids compiling WebAssembly (add 'wasm-unsafe-eval' to script-src); falling back to the cpu backend, which is much slower (${detail})`,
  };
}

/**
 * Null when this engine can compile WebAssembly here, else why not: no WebAssembly at all, or a
 * Content Security Policy without 'wasm-unsafe-eval' (the compile of an empty module is refused).
 */
export async function wasmUnavailable(): Promise<Fallback | null> {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.compile !== 'function') {
    return {
      reason: 'no-webassembly',
      message:
        'this engine has no WebAssembly; falling back to the cpu backend, which is much slower',
    };
  }
  try {
    await WebAssembly.compile(EMPTY_MODULE);
    return null;
  } catch (error) {
    const detail = text(error);
    if (CSP.test(detail)) return csp(detail);
    return {
      reason: 'no-webassembly',
      message: `this engine refused to compile WebAssembly; falling back to the cpu backend, which is much slower (${detail})`,
    };
  }
}

/** The reason for an error thrown while loading tfjs's binary or starting its WASM backend. */
export function classifyWasmFailure(error: unknown): Fallback {
  const detail = text(error);
  if (CSP.test(detail)) return csp(detail);
  if (
    /failed to load wasm binary|server can serve the `?\.wasm|failed to fetch|no such file|ENOENT|404|importing a module script failed|dynamically imported module/i.test(
      detail,
    )
  ) {
    return {
      reason: 'binary-not-found',
      message: `the WebAssembly binary of tfjs-backend-wasm could not be loaded; falling back to the cpu backend, which is much slower (${detail})`,
    };
  }
  return {
    reason: 'wasm-failed',
    message: `the WASM backend could not start; falling back to the cpu backend, which is much slower (${detail})`,
  };
}
