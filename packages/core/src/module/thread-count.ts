// How many threads our module gets (init's `threads`), and why not more: the pool over a shared
// memory is started here, or stopped for one thread (the one-thread instance, today's path).
import { compiledModule, loadSharedModule } from './loader';
import { ModuleMemory, PARALLEL_KERNELS, setThreadedMemory } from './memory';
import { ThreadPool, workersUnavailable } from './threads';

/** Why our module runs on fewer threads than asked (or, in a browser, on one). */
export type ThreadsReason =
  | 'not-cross-origin-isolated'
  | 'no-shared-memory'
  | 'no-workers'
  | 'workers-failed'
  | 'no-module'
  | 'cores';

export interface ThreadsFallback {
  reason: ThreadsReason;
  message: string;
}

export interface ThreadsResult {
  /** Threads our module's kernels run on (the calling one included). */
  threads: number;
  /** Why fewer than asked (or than the default would give), else null. */
  fallback: ThreadsFallback | null;
}

/**
 * The most threads the default gives. Our kernels split by output rows or panels; past 8 the
 * split parts of the workloads' per-step products (32 to 64 batch rows) get too thin to pay for
 * the hand-outs, and the single-threaded parts of a training step (tfjs's own ops) dominate.
 */
export const DEFAULT_THREAD_CAP = 8;

/** Pages (64 KiB) a threaded memory starts with; it grows (on the calling thread) when needed. */
const INITIAL_PAGES = 1024;

/** Maximum sizes to try for the shared memory, largest first (wasm32's 4 GB, then less). */
const MAXIMUM_PAGES = [65536, 32768, 16384];

export interface Platform {
  node: boolean;
  /** Logical cores (Node: os.availableParallelism; browsers: navigator.hardwareConcurrency). */
  cores: number;
  /** False on a browser page without COOP/COEP; true elsewhere. */
  isolated: boolean;
  /** A page's main thread (not a Worker): it must not block. */
  pageMainThread: boolean;
}

function platform(): Platform {
  const g = globalThis as {
    process?: NodeJS.Process;
    navigator?: { hardwareConcurrency?: number };
    crossOriginIsolated?: boolean;
    window?: unknown;
    document?: unknown;
  };
  const node = typeof g.process?.versions?.node === 'string';
  let cores = 1;
  if (node) {
    try {
      const os = g.process!.getBuiltinModule?.('node:os');
      cores = os ? os.availableParallelism() : (g.navigator?.hardwareConcurrency ?? 1);
    } catch {
      cores = 1;
    }
  } else cores = g.navigator?.hardwareConcurrency ?? 1;
  return {
    node,
    cores: Math.max(1, Math.floor(cores)),
    isolated: node || g.crossOriginIsolated !== false,
    pageMainThread: !node && typeof g.window === 'object' && typeof g.document === 'object',
  };
}

/**
 * The default thread count: in Node the cores available (at most DEFAULT_THREAD_CAP); in a
 * browser, where threads need cross-origin isolation, every core from a Worker and half of them
 * from a page's main thread (which also draws the page, and can only spin while it waits).
 */
export function defaultThreads(p: Platform = platform()): number {
  if (p.node) return Math.min(DEFAULT_THREAD_CAP, p.cores);
  if (!p.isolated) return 1;
  const share = p.pageMainThread ? Math.floor(p.cores / 2) : p.cores;
  return Math.max(1, Math.min(DEFAULT_THREAD_CAP, share));
}

function sharedMemoryFor(): WebAssembly.Memory | null {
  for (const maximum of MAXIMUM_PAGES) {
    try {
      return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum, shared: true });
    } catch {
      // a smaller reservation may still fit (32-bit devices, a browser's limits)
    }
  }
  return null;
}

let pending: Promise<ThreadsResult> = Promise.resolve({ threads: 1, fallback: null });

/**
 * Runs our module on `requested` threads (undefined: the default), reporting how many it got
 * and why not more. One thread is the one-thread instance and no pool; more start (or reuse)
 * worker threads over one shared memory. Calls are serialized.
 */
export function configureThreads(requested: number | undefined): Promise<ThreadsResult> {
  pending = pending.catch(() => undefined).then(() => configure(requested));
  return pending;
}

let threadedMemory: ModuleMemory | null = null;

async function configure(requested: number | undefined): Promise<ThreadsResult> {
  const p = platform();
  const fallbackOf = (reason: ThreadsReason, message: string): ThreadsResult => {
    stopThreads();
    return { threads: 1, fallback: { reason, message } };
  };
  const want = requested ?? defaultThreads(p);
  if (want <= 1) {
    stopThreads();
    if (requested === undefined && !p.node && !p.isolated)
      return fallbackOf(
        'not-cross-origin-isolated',
        'our kernels run on one thread: this page is not cross-origin isolated (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)',
      );
    return { threads: 1, fallback: null };
  }
  if (!p.isolated)
    return fallbackOf(
      'not-cross-origin-isolated',
      `our kernels run on one thread instead of ${want}: this page is not cross-origin isolated (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)`,
    );
  if (typeof SharedArrayBuffer !== 'function')
    return fallbackOf(
      'no-shared-memory',
      `our kernels run on one thread instead of ${want}: this engine has no SharedArrayBuffer`,
    );
  const noWorkers = workersUnavailable();
  if (noWorkers)
    return fallbackOf(
      'no-workers',
      `our kernels run on one thread instead of ${want}: ${noWorkers}`,
    );
  const module = await loadSharedModule();
  if (!module || !compiledModule())
    return fallbackOf(
      'no-module',
      `our kernels run on one thread instead of ${want}: this engine cannot run our WebAssembly SIMD module`,
    );
  const threads = Math.min(want, p.cores);
  const cores: ThreadsFallback | null =
    threads < want
      ? {
          reason: 'cores',
          message: `our kernels run on ${threads} threads instead of ${want}: this machine has ${p.cores} cores`,
        }
      : null;
  if (threads <= 1) {
    stopThreads();
    return { threads: 1, fallback: cores };
  }
  if (threadedMemory?.poolSize === threads && threadedMemory.threadPool?.closedReason === null) {
    threadedMemory.suspendPool(false);
    setThreadedMemory(threadedMemory);
    return { threads, fallback: cores };
  }
  if (!threadedMemory) {
    const memory = sharedMemoryFor();
    if (!memory)
      return fallbackOf(
        'no-shared-memory',
        `our kernels run on one thread instead of ${threads}: a shared WebAssembly memory could not be reserved`,
      );
    threadedMemory = new ModuleMemory(module, memory);
  }
  try {
    threadedMemory.setPool(
      await ThreadPool.start(module, threadedMemory.fns.memory, threads, PARALLEL_KERNELS),
    );
  } catch (e) {
    return fallbackOf(
      'workers-failed',
      `our kernels run on one thread instead of ${threads}: the worker threads could not start (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  setThreadedMemory(threadedMemory);
  return { threads, fallback: cores };
}

/**
 * Back to one thread: new work runs on the one-thread instance; the threaded memory stays for the
 * blocks it holds, its pool asleep (unused) so that going back to the same count is immediate.
 */
function stopThreads(): void {
  threadedMemory?.suspendPool(true);
  setThreadedMemory(null);
}
