import { tf } from './tf';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { InvalidArgumentError } from '../errors';
import { registerWasmFixes } from '../tfjs-wasm/register';
import { loadWasmKernels } from '../module/loader';

export type BackendName = 'wasm' | 'cpu';

export interface InitOptions {
  /** Which backend to use; `wasm` (default) falls back to `cpu` with a warning when it cannot load. */
  backend?: BackendName;
  /** Threads for the WASM backend (browser with cross-origin isolation only; Node runs one). */
  threads?: number;
  /**
   * Where the browser fetches the `.wasm` binaries from (a URL prefix ending in `/`, or a map of
   * file name to URL). Node reads them from the installed package and needs nothing.
   */
  wasmPaths?: string | Record<string, string>;
  /** Called with the fallback warning instead of `console.warn`. */
  onWarning?: (message: string) => void;
}

export interface BackendInfo {
  backend: BackendName;
  simd: boolean;
  threads: number;
}

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

const isNode =
  typeof process !== 'undefined' &&
  process.versions?.node !== undefined &&
  typeof window === 'undefined';

/**
 * Picks the backend, loads the WASM binaries, registers Recurrent's kernel fixes and reports
 * what it got. Calling it again with the same backend returns the same answer; asking for
 * another backend switches to it.
 */
export async function init(options: InitOptions = {}): Promise<BackendInfo> {
  const wanted = options.backend ?? 'wasm';
  if (wanted !== 'wasm' && wanted !== 'cpu') {
    throw new InvalidArgumentError({
      fn: 'init',
      argument: 'options.backend',
      expected: "'wasm' or 'cpu'",
      received: wanted,
    });
  }
  if (
    options.threads !== undefined &&
    (!Number.isInteger(options.threads) || options.threads < 1)
  ) {
    throw new InvalidArgumentError({
      fn: 'init',
      argument: 'options.threads',
      expected: 'a positive integer',
      received: options.threads,
    });
  }
  if (pending) await pending.catch(() => undefined);
  if (current && current.backend === wanted) return current;
  // Our own WebAssembly kernels compile asynchronously here, so a browser's main thread never
  // needs a synchronous compile of the module; it is ready (or known unusable) when init returns.
  pending = Promise.all([doInit(wanted, options), loadWasmKernels()]).then(([info]) => info);
  try {
    current = await pending;
    return current;
  } finally {
    pending = undefined;
  }
}

async function doInit(wanted: BackendName, options: InitOptions): Promise<BackendInfo> {
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  if (wanted === 'wasm') {
    try {
      if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths as string);
      if (options.threads !== undefined) setThreadsCount(options.threads);
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new Error('tf.setBackend("wasm") returned false');
      await tf.ready();
      registerWasmFixes();
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      const mt = !isNode && Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
      const threads = mt ? wasmThreads() : 1;
      return { backend: 'wasm', simd, threads };
    } catch (error) {
      warn(
        `@recurrent/core: the WASM backend could not start (${error instanceof Error ? error.message : String(error)}); falling back to the cpu backend, which is much slower`,
      );
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { backend: 'cpu', simd: false, threads: 1 };
}

function wasmThreads(): number {
  try {
    return getThreadsCount();
  } catch {
    return 1;
  }
}

/** What `init` reported, or undefined before it ran. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}
