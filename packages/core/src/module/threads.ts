// The thread pool of our module: worker threads (Node's worker_threads, reached through
// process.getBuiltinModule so that no bundler sees an import of it; Web Workers in a browser),
// each with its own instance of the module over one shared WebAssembly.Memory, started from
// inlined source (thread-worker.ts). The calling thread is one of the pool's threads: a job is
// split into ranges, the calling thread runs the first while the workers run the others, and it
// returns when all are done. Handing out and joining go through a control block of Int32s in a
// SharedArrayBuffer with Atomics: a worker spins briefly for its next job, then sleeps in
// Atomics.wait; the caller spins for the others to finish, then waits (a browser's main thread,
// where Atomics.wait is refused, only spins).
//
// Control block: slot 0 is a header (the spin time), slot i ≥ 1 belongs to worker i − 1:
//   seq (the caller bumps it to hand out a job), done (the worker stores seq when finished),
//   fn (an index into the export names sent at start, −1 to end), nargs, the arguments as
//   float64s, and after a throw: status 1, the error's name and message.
import type * as WorkerThreads from 'node:worker_threads';
import { ThreadError } from '../errors';
import { HEADER, SLOT, WORKER_SOURCE } from './thread-worker';

/** What a pool needs of a worker, in Node or a browser. */
interface WorkerHandle {
  post(message: unknown): void;
  /** Calls back with the worker's messages (`ready`, `error`) and with its failures. */
  listen(
    onMessage: (m: { type: string; message?: string }) => void,
    onError: (e: Error) => void,
  ): void;
  /** Lets the process exit while the worker lives (Node). */
  unref(): void;
  terminate(): void;
}

/** Microseconds a worker spins for its next job before sleeping (between two jobs of a step). */
export const DEFAULT_SPIN_MICROS = 200;

/** Microseconds the caller spins for the workers to finish before it waits. */
const JOIN_SPIN_MICROS = 2000;

/** How long a worker may take to start and instantiate the module. */
const START_TIMEOUT_MS = 20_000;

type Kernel = (...args: number[]) => void;

/** Whether this thread may block in Atomics.wait (not a browser page's main thread). */
function canBlock(): boolean {
  const g = globalThis as { window?: unknown; document?: unknown };
  return !(typeof g.window === 'object' && typeof g.document === 'object');
}

/** Node's worker_threads without a static import (Node ≥ 20.16), or null. */
function nodeWorkerThreads(): typeof WorkerThreads | null {
  const p = (globalThis as { process?: NodeJS.Process }).process;
  if (typeof p?.versions?.node !== 'string' || typeof p.getBuiltinModule !== 'function')
    return null;
  try {
    return p.getBuiltinModule('node:worker_threads') ?? null;
  } catch {
    return null;
  }
}

/** Why workers cannot start here, or null when they can. */
export function workersUnavailable(): string | null {
  const p = (globalThis as { process?: NodeJS.Process }).process;
  if (typeof p?.versions?.node === 'string') {
    return nodeWorkerThreads()
      ? null
      : `this Node.js (${p.version}) has no process.getBuiltinModule (Node 20.16 or later)`;
  }
  return typeof (globalThis as { Worker?: unknown }).Worker === 'function'
    ? null
    : 'this JavaScript environment has no Worker';
}

function spawn(): WorkerHandle {
  const wt = nodeWorkerThreads();
  if (wt) {
    const w = new wt.Worker(WORKER_SOURCE, { eval: true, name: 'recurrent-module' });
    return {
      post: (m) => w.postMessage(m),
      listen(onMessage, onError) {
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', (code) => onError(new Error(`the thread exited (code ${code})`)));
      },
      unref: () => w.unref(),
      terminate: () => void w.terminate(),
    };
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  try {
    const w = new Worker(url, { name: 'recurrent-module' });
    return {
      post: (m) => w.postMessage(m),
      listen(onMessage, onError) {
        w.onmessage = (e: MessageEvent) => onMessage(e.data as { type: string; message?: string });
        w.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          onError(new Error(e.message || 'the worker failed to start'));
        };
      },
      unref: () => undefined,
      terminate: () => w.terminate(),
    };
  } finally {
    // The worker has fetched (or is fetching) its script; the URL is no longer needed once it started.
    setTimeout(() => URL.revokeObjectURL(url), START_TIMEOUT_MS);
  }
}

/** A contiguous range [lo, hi) of a job. */
export type Range = readonly [number, number];

/**
 * `parts` contiguous ranges covering [0, n), each a whole number of `grain`s but the last,
 * as equal as possible (the first ones take the remainder); fewer when n has fewer grains.
 */
export function splitRange(n: number, parts: number, grain = 1): Range[] {
  const grains = Math.ceil(n / grain);
  const k = Math.max(1, Math.min(parts, grains));
  const base = Math.floor(grains / k);
  const extra = grains % k;
  const out: Range[] = [];
  let lo = 0;
  for (let i = 0; i < k; i++) {
    const hi = Math.min(n, lo + (base + (i < extra ? 1 : 0)) * grain);
    out.push([lo, hi]);
    lo = hi;
  }
  return out;
}

/**
 * Worker threads running our module over one shared memory. `run` hands out one job split into
 * ranges and returns when every range is done; an error thrown in a worker is thrown to the
 * caller as a ThreadError once all have finished (no worker is left running a job).
 */
export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly f64: Float64Array;
  private readonly u16: Uint16Array;
  private readonly seq: number[];
  private readonly fnIndex: Map<string, number>;
  private readonly block = canBlock();
  private closedWith: string | null = null;

  private constructor(
    private readonly workers: WorkerHandle[],
    control: SharedArrayBuffer,
    names: readonly string[],
  ) {
    this.ctl = new Int32Array(control);
    this.f64 = new Float64Array(control);
    this.u16 = new Uint16Array(control);
    this.seq = new Array<number>(this.ctl.length / SLOT.size - 1).fill(0);
    this.fnIndex = new Map(names.map((n, i) => [n, i]));
  }

  /**
   * Starts `threads − 1` workers (the caller is the pool's first thread), each instantiating
   * `module` over `memory`; resolves once all are ready. Rejects with the first failure
   * (after terminating the workers that did start).
   */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    threads: number,
    names: readonly string[],
  ): Promise<ThreadPool> {
    const control = new SharedArrayBuffer(4 * SLOT.size * threads);
    const ctl = new Int32Array(control);
    Atomics.store(ctl, HEADER.spinMicros, DEFAULT_SPIN_MICROS);
    const workers: WorkerHandle[] = [];
    const pool = new ThreadPool(workers, control, names);
    try {
      const ready: Promise<void>[] = [];
      for (let i = 0; i < threads - 1; i++) {
        const w = spawn();
        workers.push(w);
        ready.push(
          new Promise<void>((resolve, reject) => {
            let started = false;
            const timer = setTimeout(
              () =>
                reject(
                  new Error(`thread ${i + 1} did not start within ${START_TIMEOUT_MS / 1000} s`),
                ),
              START_TIMEOUT_MS,
            );
            w.listen(
              (m) => {
                if (m.type === 'ready') {
                  started = true;
                  clearTimeout(timer);
                  resolve();
                } else if (m.type === 'error') {
                  clearTimeout(timer);
                  reject(
                    new Error(`thread ${i + 1} could not instantiate our module: ${m.message}`),
                  );
                }
              },
              (e) => {
                clearTimeout(timer);
                if (started) pool.lost(i + 1, e);
                else reject(new Error(`thread ${i + 1} failed to start: ${e.message}`));
              },
            );
          }),
        );
        w.post({ module, memory, control, slot: i + 1, names });
      }
      await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    for (const w of workers) w.unref();
    return pool;
  }

  /** Threads working on a job: the workers and the caller (1 once closed). */
  get size(): number {
    return this.closedWith === null ? this.workers.length + 1 : 1;
  }

  /** Microseconds a worker spins for its next job before it sleeps (for measurements). */
  set spinMicros(us: number) {
    Atomics.store(this.ctl, HEADER.spinMicros, Math.max(0, Math.round(us)));
  }

  get spinMicros(): number {
    return Atomics.load(this.ctl, HEADER.spinMicros);
  }

  /** A worker failed outside a job (its thread died): later jobs run on the caller alone. */
  private lost(thread: number, e: Error): void {
    if (this.closedWith === null) this.closedWith = `thread ${thread} stopped: ${e.message}`;
  }

  /** Why the pool no longer runs jobs on its workers, or null while it does. */
  get closedReason(): string | null {
    return this.closedWith;
  }

  /**
   * Runs `fns[fn](...args(lo, hi))` for each range, the first on the calling thread and range i
   * on worker i (ranges.length ≤ size). Returns when all are done; if any threw, throws (the
   * caller's own error first, else a ThreadError naming the worker's).
   */
  run(
    fns: Record<string, unknown>,
    fn: string,
    ranges: readonly Range[],
    args: (lo: number, hi: number) => number[],
  ): void {
    const k = this.closedWith === null ? Math.min(ranges.length, this.workers.length + 1) : 1;
    if (k <= 1) {
      for (const [lo, hi] of ranges) (fns[fn] as Kernel)(...args(lo, hi));
      return;
    }
    const index = this.fnIndex.get(fn);
    if (index === undefined)
      throw new Error(`ThreadPool.run: ${fn} is not one of the module's exports`);
    const { ctl, f64 } = this;
    for (let w = 1; w < k; w++) {
      const base = w * SLOT.size;
      const a = args(ranges[w]![0], ranges[w]![1]);
      if (a.length > SLOT.maxArgs)
        throw new Error(`ThreadPool.run: ${fn} takes more than ${SLOT.maxArgs} arguments`);
      ctl[base + SLOT.fn] = index;
      ctl[base + SLOT.nargs] = a.length;
      ctl[base + SLOT.status] = 0;
      for (let i = 0; i < a.length; i++) f64[base / 2 + SLOT.args + i] = a[i]!;
      const s = (this.seq[w - 1]! + 1) | 0;
      this.seq[w - 1] = s;
      Atomics.store(ctl, base + SLOT.seq, s);
      Atomics.notify(ctl, base + SLOT.seq, 1);
    }
    let own: unknown = null;
    let threw = false;
    try {
      for (let r = k; r < ranges.length; r++)
        (fns[fn] as Kernel)(...args(ranges[r]![0], ranges[r]![1]));
      (fns[fn] as Kernel)(...args(ranges[0]![0], ranges[0]![1]));
    } catch (e) {
      own = e;
      threw = true;
    }
    let failed: ThreadError | null = null;
    for (let w = 1; w < k; w++) {
      this.join(w);
      const base = w * SLOT.size;
      if (ctl[base + SLOT.status] !== 0 && failed === null) {
        const len = ctl[base + SLOT.messageLength]!;
        const at = base * 2 + SLOT.message;
        const text = String.fromCharCode(...this.u16.subarray(at, at + len));
        failed = new ThreadError(fn, w, text);
      }
    }
    if (threw) throw own;
    if (failed) throw failed;
  }

  /** Waits until worker slot `w` has published its current job as done. */
  private join(w: number): void {
    const ctl = this.ctl;
    const at = w * SLOT.size + SLOT.done;
    const want = this.seq[w - 1]!;
    let spins = 0;
    const t0 = performance.now();
    for (let seen = Atomics.load(ctl, at); seen !== want; seen = Atomics.load(ctl, at)) {
      if (this.block && (++spins & 127) === 0 && (performance.now() - t0) * 1000 > JOIN_SPIN_MICROS)
        Atomics.wait(ctl, at, seen, 1000);
    }
  }

  /** Ends every worker's loop (their threads exit); later jobs run on the caller alone. */
  close(): void {
    if (this.closedWith === null) this.closedWith = 'closed';
    for (let w = 1; w <= this.workers.length; w++) {
      const base = w * SLOT.size;
      this.ctl[base + SLOT.fn] = -1;
      const s = (this.seq[w - 1]! + 1) | 0;
      this.seq[w - 1] = s;
      Atomics.store(this.ctl, base + SLOT.seq, s);
      Atomics.notify(this.ctl, base + SLOT.seq, 1);
    }
  }
}
