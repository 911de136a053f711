import { tf } from './tf';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { InvalidArgumentError } from '../errors';
import { registerWasmFixes } from '../tfjs-wasm/register';
import { loadWasmKernels } from '../module/loader';
import { classifyWasmFailure, type FallbackReason, wasmUnavailable } from './fallback';
import { withInlineTfjsBinary } from '../tfjs-wasm/binary';
import { configureThreads, type ThreadsFallback } from '../module/thread-count';

export type BackendName = 'wasm' | 'cpu';
export type { FallbackReason } from './fallback';
export type { ThreadsReason, ThreadsFallback } from '../module/thread-count';

export interface InitOptions {
  /** Which backend to use; `wasm` (default) falls back to `cpu` with one warning when it cannot load. */
  backend?: BackendName;
  /**
   * Threads our WebAssembly kernels run on (products, the recurrent layers' time loops, the loss):
   * a pool of worker threads over one shared memory, the calling thread among them. Default: in
   * Node the cores available (at most 8); in a browser, where it needs cross-origin isolation
   * (COOP/COEP headers), every core from a Web Worker and half of them from a page's main thread,
   * else 1. `1` is the single-threaded path with no pool. The result's `threads` is what it got.
   */
  threads?: number;
  /**
   * Where tfjs fetches its `.wasm` binaries from instead of the copies inside this package (a URL
   * prefix ending in `/`, or a map of file name to URL). Nothing needs it: by default the binary
   * the engine can run is loaded from a module of this package, in Node and in any bundler.
   */
  wasmPaths?: string | Record<string, string>;
  /** Called with the fallback warning instead of `console.warn`. */
  onWarning?: (message: string) => void;
}

export interface BackendInfo {
  backend: BackendName;
  /** Whether tfjs's binary and our kernels run with WebAssembly SIMD. */
  simd: boolean;
  /** Threads our kernels run on (the calling thread included). */
  threads: number;
  /**
   * Why `threads` is fewer than asked (or, in a browser, 1): `not-cross-origin-isolated`,
   * `no-shared-memory`, `no-workers`, `workers-failed`, `no-module` (our module cannot run
   * here), `cores` (more asked than the machine has), and a sentence for people. Null otherwise.
   */
  threadsFallback: ThreadsFallback | null;
  /**
   * Where tfjs-backend-wasm's binary came from: `inline` (the module inside this package),
   * `wasmPaths` (the caller's URLs), or null off the WASM backend.
   */
  binary: 'inline' | 'wasmPaths' | null;
  /**
   * Why this is less than the WASM backend with SIMD that was asked for: the reason (`csp`,
   * `no-webassembly`, `binary-not-found`, `wasm-failed`: the backend fell back to `cpu`;
   * `no-simd`: WASM without SIMD) and a sentence for people. Null when nothing was given up.
   */
  fallback: { reason: FallbackReason; message: string } | null;
}

let current: BackendInfo | undefined;
/** The `threads` the configuration in `current` was made for (undefined: the default). */
let currentThreads: number | undefined;
/** The backend the call that produced `current` asked for (a fallback answers for `wasm` too). */
let currentWanted: BackendName | undefined;
let pending: Promise<BackendInfo> | undefined;
/** What the WASM backend's first successful start reported. */
let lastWasm: BackendInfo | undefined;

/**
 * Picks the backend, loads the WASM binaries, registers Recurrent's kernel fixes and reports
 * what it got, and why when it is less than asked (printing one warning then). Calling it again
 * with the same backend returns the same answer; asking for another backend switches to it.
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
  if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
    throw new InvalidArgumentError({
      fn: 'init',
      argument: 'options.onWarning',
      expected: 'a function',
      received: options.onWarning,
    });
  }
  if (pending) await pending.catch(() => undefined);
  const sameThreads = options.threads === undefined || options.threads === currentThreads;
  if (current && currentWanted === wanted && sameThreads) return current;
  const reuse = current && currentWanted === wanted ? current : undefined;
  // Our own WebAssembly kernels compile asynchronously here, so a browser's main thread never
  // needs a synchronous compile of the module; it is ready (or known unusable) when init returns.
  pending = (async () => {
    const [info] = reuse
      ? [reuse]
      : await Promise.all([doInit(wanted, options), loadWasmKernels()]);
    const t = await configureThreads(options.threads);
    return { ...info, threads: t.threads, threadsFallback: t.fallback };
  })();
  try {
    current = await pending;
    currentWanted = wanted;
    currentThreads = options.threads;
    // One warning at most: the backend's fallback, and fewer threads than were asked for.
    const lines = [
      ...(current.fallback && !reuse ? [current.fallback.message] : []),
      ...(current.threadsFallback && options.threads !== undefined
        ? [current.threadsFallback.message]
        : []),
    ];
    if (lines.length)
      (options.onWarning ?? ((m: string) => console.warn(m)))(
        `@recurrent/core: ${lines.join('; ')}`,
      );
    return current;
  } finally {
    pending = undefined;
  }
}

async function doInit(wanted: BackendName, options: InitOptions): Promise<BackendInfo> {
  if (wanted === 'wasm') {
    const blocked = await wasmUnavailable();
    if (blocked) return cpu(blocked);
    if (lastWasm && tf.findBackend('wasm') !== null) {
      // Loaded before (init switched to cpu since): switch back, nothing to load.
      await tf.setBackend('wasm');
      return lastWasm;
    }
    try {
      const binary = options.wasmPaths !== undefined ? 'wasmPaths' : 'inline';
      let simd: boolean;
      if (binary === 'wasmPaths') {
        setWasmPaths(options.wasmPaths as string);
        // tfjs's own threaded build is not used: threads come from our module's pool.
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
        await setWasmBackend();
      } else {
        simd = await withInlineTfjsBinary(setWasmBackend);
      }
      await tf.ready();
      registerWasmFixes();
      const fallback = simd
        ? null
        : {
            reason: 'no-simd' as const,
            message:
              'this engine has no WebAssembly SIMD: running the plain WASM build, about twice as slow, without our own kernels',
          };
      lastWasm = { backend: 'wasm', simd, threads: 1, threadsFallback: null, binary, fallback };
      return lastWasm;
    } catch (error) {
      return cpu(classifyWasmFailure(error));
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return {
    backend: 'cpu',
    simd: false,
    threads: 1,
    threadsFallback: null,
    binary: null,
    fallback: null,
  };
}

/** Switches tfjs to wasm; a failure is thrown with tfjs's own cause instead of being logged by tfjs. */
async function setWasmBackend(): Promise<void> {
  let cause: unknown;
  const factory = tf.findBackendFactory('wasm');
  if (factory === null) throw new Error('tfjs-backend-wasm is not registered');
  // tfjs logs a failed backend init and returns false; wrap the factory to keep the cause, and
  // keep tfjs quiet so that the fallback prints one warning (ours).
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      try {
        return await factory();
      } catch (error) {
        cause = error;
        throw error;
      }
    },
    2,
  );
  // Emscripten's loader prints its own abort lines (console.warn/error) while it fails: hold
  // what is printed during the start, and print it only if the start succeeded after all.
  const held: Array<[keyof Pick<Console, 'warn' | 'error'>, unknown[]]> = [];
  const saved = { warn: console.warn, error: console.error };
  console.warn = (...args: unknown[]) => void held.push(['warn', args]);
  console.error = (...args: unknown[]) => void held.push(['error', args]);
  const prod = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    tf.env().set('PROD', prod);
    Object.assign(console, saved);
  }
  if (!ok) {
    // tfjs's own rejection says only "make sure the server can serve the .wasm file"; the first
    // line the loader printed names what failed (the path, the HTTP status).
    const printed = held
      .map(([, args]) => args.map(String).join(' '))
      .find((line) => line.trim() !== '');
    const message =
      cause instanceof Error || (typeof cause === 'object' && cause !== null)
        ? String((cause as { message?: unknown }).message)
        : String(cause ?? 'tf.setBackend("wasm") returned false');
    throw new Error(printed ? `${printed.trim()}; ${message}` : message, { cause });
  }
  for (const [level, args] of held) console[level](...args);
}

async function cpu(fallback: { reason: FallbackReason; message: string }): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  await tf.ready();
  return { backend: 'cpu', simd: false, threads: 1, threadsFallback: null, binary: null, fallback };
}

/** What `init` reported, or undefined before it ran. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}
