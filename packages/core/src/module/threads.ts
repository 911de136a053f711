// The thread pool of our module: worker threads (Node's worker_threads, reached through
// process.getBuiltinModule so that no bundler sees an import of it; Web Workers in a browser),
// each with its own instance of the module over one shared WebAssembly.Memory, started from
// inlined source (thread-worker.ts). The calling thread is one of the pool's threads: a job is
// cut into chunks (contiguous ranges of its rows, panels or batch rows), every thread claims
// chunks one at a time from an atomic counter until none is left, and the caller returns when
// all are finished. Claiming rather than a fixed share per thread keeps a job from waiting on a
// thread that is slow to wake or was preempted (a shared machine, a laptop's efficiency cores):
// the others take its chunks; the caller waits only for chunks that were started.
// Workers spin briefly for their next job, then sleep in Atomics.wait; the caller spins for the
// last chunks, then waits (a browser page's main thread, where Atomics.wait is refused, spins).
import type * as WorkerThreads from 'node:worker_threads';
import { ThreadError } from '../errors';
import { CONTROL, WORKER_SOURCE } from './thread-worker';

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
export const DEFAULT_SPIN_MICROS = 50;

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

/**
 * A job is late when it took longer than the caller alone would have (its own chunks' time,
 * scaled to all the chunks) and its join waited more than this (ms): a worker was slow with a
 * chunk in hand (descheduled, or sharing its core with another process).
 */
const LATE_MS = 0.01;
const BACKOFF_MIN_MS = 1;
const BACKOFF_MAX_MS = 256;

/**
 * Backing off a busy machine: after a late join the pool runs jobs on the caller alone for a
 * while (1 ms, doubling after each late try up to 256 ms); a join on time ends it. On a machine
 * whose other cores are taken, threads then cost a try every quarter second instead of a
 * descheduled worker's time slice on every job; on a free one nothing changes.
 */
export function backoff(
  state: { soloUntil: number; backoffMs: number },
  end: number,
  waited: number,
  own: number,
  ownChunks: number,
  chunks: number,
): void {
  if (waited > LATE_MS && ownChunks > 0 && own + waited > (own * chunks) / ownChunks) {
    state.soloUntil = end + state.backoffMs;
    state.backoffMs = Math.min(BACKOFF_MAX_MS, state.backoffMs * 2);
  } else state.backoffMs = BACKOFF_MIN_MS;
}

/** Most chunks a job is cut into (the claim word keeps 16 bits for the next chunk). */
const MAX_CHUNKS = 0xffff;

/**
 * Worker threads running our module over one shared memory. `run` hands out one job in chunks
 * and returns when every chunk is done; an error thrown on any thread is thrown to the caller
 * (a worker's as a ThreadError) once all chunks are finished (no thread is left running the job).
 */
export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly f64: Float64Array;
  private readonly u16: Uint16Array;
  private readonly fnIndex: Map<string, number>;
  private readonly block = canBlock();
  private job = 0;
  private closedWith: string | null = null;
  /** Jobs run on the caller alone until then (performance.now()), after a late join: `backoff`. */
  private readonly pace = { soloUntil: 0, backoffMs: BACKOFF_MIN_MS };

  private constructor(
    private readonly workers: WorkerHandle[],
    control: SharedArrayBuffer,
    names: readonly string[],
  ) {
    this.ctl = new Int32Array(control);
    this.f64 = new Float64Array(control);
    this.u16 = new Uint16Array(control);
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
    const control = new SharedArrayBuffer(CONTROL.bytes);
    Atomics.store(new Int32Array(control), CONTROL.spinMicros, DEFAULT_SPIN_MICROS);
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
        w.post({ module, memory, control, thread: i + 1, names });
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
    Atomics.store(this.ctl, CONTROL.spinMicros, Math.max(0, Math.round(us)));
  }

  get spinMicros(): number {
    return Atomics.load(this.ctl, CONTROL.spinMicros);
  }

  /** A worker failed outside a job (its thread died): later jobs run on the caller alone. */
  private lost(thread: number, e: Error): void {
    if (this.closedWith === null) this.closedWith = `thread ${thread} stopped: ${e.message}`;
  }

  /** Ends a back-off (the next job goes to the workers again), for tests. @internal */
  resetBackoff(): void {
    this.pace.soloUntil = 0;
    this.pace.backoffMs = BACKOFF_MIN_MS;
  }

  /** Why the pool no longer runs jobs on its workers, or null while it does. */
  get closedReason(): string | null {
    return this.closedWith;
  }

  /**
   * Runs `fns[fn](...args(lo, hi))` for the chunks [0, chunkSize), [chunkSize, 2·chunkSize), …
   * of [0, n) on every thread of the pool, the caller included. `args` must be affine in lo and
   * hi (each argument c + a·lo + b·hi: offsets, counts, range ends), as the workers compute it
   * from three samples. Returns when every chunk is done; throws the first error (a worker's
   * as a ThreadError) after that.
   */
  run(
    fns: Record<string, unknown>,
    fn: string,
    n: number,
    chunkSize: number,
    args: (lo: number, hi: number) => number[],
  ): void {
    const kernel = fns[fn] as Kernel;
    const chunks = Math.ceil(n / chunkSize);
    const t0 = performance.now();
    if (
      this.closedWith !== null ||
      chunks <= 1 ||
      this.workers.length === 0 ||
      t0 < this.pace.soloUntil
    ) {
      for (let lo = 0; lo < n; lo += chunkSize) kernel(...args(lo, Math.min(n, lo + chunkSize)));
      return;
    }
    if (chunks > MAX_CHUNKS)
      throw new Error(`ThreadPool.run: ${chunks} chunks, at most ${MAX_CHUNKS}`);
    const index = this.fnIndex.get(fn);
    if (index === undefined)
      throw new Error(`ThreadPool.run: ${fn} is not one of the pool's kernels`);
    const { ctl, f64 } = this;
    const c = args(0, 0);
    const a = args(1, 0);
    const b = args(0, 1);
    if (c.length > CONTROL.maxArgs)
      throw new Error(`ThreadPool.run: ${fn} takes more than ${CONTROL.maxArgs} arguments`);
    for (let k = 0; k < c.length; k++) {
      f64[CONTROL.args + 3 * k] = c[k]!;
      f64[CONTROL.args + 3 * k + 1] = a[k]! - c[k]!;
      f64[CONTROL.args + 3 * k + 2] = b[k]! - c[k]!;
    }
    ctl[CONTROL.fn] = index;
    ctl[CONTROL.nargs] = c.length;
    ctl[CONTROL.n] = n;
    ctl[CONTROL.chunkSize] = chunkSize;
    ctl[CONTROL.chunks] = chunks;
    ctl[CONTROL.error] = 0;
    Atomics.store(ctl, CONTROL.finished, 0);
    this.job = (this.job + 1) | 0;
    const tag = (this.job & 0x7fff) << 16;
    Atomics.store(ctl, CONTROL.claim, tag);
    Atomics.store(ctl, CONTROL.job, this.job);
    Atomics.notify(ctl, CONTROL.job);
    // The caller claims chunks like any thread (computing its arguments directly).
    let own: unknown = null;
    let threw = false;
    let ownChunks = 0;
    for (;;) {
      const v = Atomics.load(ctl, CONTROL.claim);
      const i = v & 0xffff;
      if (i >= chunks) break;
      if (Atomics.compareExchange(ctl, CONTROL.claim, v, v + 1) !== v) continue;
      ownChunks++;
      if (!threw && Atomics.load(ctl, CONTROL.error) === 0) {
        const lo = i * chunkSize;
        const callArgs = args(lo, Math.min(n, lo + chunkSize));
        try {
          kernel(...callArgs);
        } catch (e) {
          own = e;
          threw = true;
          Atomics.compareExchange(ctl, CONTROL.error, 0, 1);
        }
      }
      Atomics.add(ctl, CONTROL.finished, 1);
    }
    const mine = performance.now();
    this.join(chunks);
    const end = performance.now();
    backoff(this.pace, end, end - mine, mine - t0, ownChunks, chunks);
    if (threw) throw own;
    const failed = Atomics.load(ctl, CONTROL.error);
    if (failed > 1) {
      const len = ctl[CONTROL.errorLength]!;
      const text = String.fromCharCode(
        ...this.u16.subarray(CONTROL.message, CONTROL.message + len),
      );
      throw new ThreadError(fn, failed - 1, text);
    }
  }

  /** Waits until `chunks` chunks of the current job are finished. */
  private join(chunks: number): void {
    const ctl = this.ctl;
    let spins = 0;
    const t0 = performance.now();
    for (
      let done = Atomics.load(ctl, CONTROL.finished);
      done < chunks;
      done = Atomics.load(ctl, CONTROL.finished)
    ) {
      if (this.block && (++spins & 127) === 0 && (performance.now() - t0) * 1000 > JOIN_SPIN_MICROS)
        Atomics.wait(ctl, CONTROL.finished, done, 1000);
    }
  }

  /** Ends every worker's loop (their threads exit); later jobs run on the caller alone. */
  close(): void {
    if (this.closedWith === null) this.closedWith = 'closed';
    this.ctl[CONTROL.fn] = -1;
    this.job = (this.job + 1) | 0;
    Atomics.store(this.ctl, CONTROL.job, this.job);
    Atomics.notify(this.ctl, CONTROL.job);
  }
}
