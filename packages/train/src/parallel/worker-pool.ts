// The main thread's side of the workers: start-up, one FIFO of pending replies per worker,
// errors from inside a worker rebuilt as the same typed error, and a clean shutdown.
import { Worker } from 'node:worker_threads';
import {
  CheckpointError,
  DTypeError,
  EmptyCorpusError,
  InvalidArgumentError,
  NonFiniteLossError,
  SafetensorsError,
  ShapeError,
  VocabError,
  WorkerError,
  type ArgumentErrorDetails,
} from '@recurrent/core';
import type { Command, Reply, WireError, WorkerInit } from './protocol';

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

const DETAIL_ERRORS: Record<string, new (d: ArgumentErrorDetails) => Error> = {
  InvalidArgumentError,
  ShapeError,
  DTypeError,
  VocabError,
  EmptyCorpusError,
};

/** Rebuilds an error a worker sent: the same class (for Recurrent's typed errors), name and message. */
export function fromWireError(e: WireError, index: number): Error {
  const f = e.fields;
  let error: Error;
  const Detail = DETAIL_ERRORS[e.name];
  if (Detail) {
    error = new Detail({ fn: String(f.fn), argument: String(f.argument), expected: String(f.expected), received: f.received });
  } else if (e.name === 'NonFiniteLossError') {
    error = new NonFiniteLossError(Number(f.step), Number(f.loss));
  } else if (e.name === 'CheckpointError') {
    error = new CheckpointError(e.message);
  } else if (e.name === 'SafetensorsError') {
    error = new SafetensorsError(e.message);
  } else {
    error = new Error(e.message);
    error.name = e.name;
  }
  error.message = e.message;
  error.stack = `${e.stack ?? `${e.name}: ${e.message}`}\n    (in data-parallel worker ${index})`;
  return error;
}

/** A running set of data-parallel workers. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly pending: Pending[][] = [];
  private readonly alive = new Set<number>();
  private exited: Promise<void>[] = [];
  private closing = false;
  private death: WorkerError | null = null;

  constructor(url: URL | string, inits: WorkerInit[]) {
    inits.forEach((init, i) => {
      const worker = new Worker(url, { workerData: init });
      this.workers.push(worker);
      this.pending.push([]);
      this.alive.add(i);
      this.exited.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
      worker.on('message', (r: Reply) => this.pending[i]!.shift()?.resolve(r));
      worker.on('error', (error: Error) => this.failAll(new WorkerError(i, `data-parallel worker crashed (${error.message})`, null, { cause: error })));
      worker.once('exit', (code) => {
        this.alive.delete(i);
        if (!this.closing) this.failAll(new WorkerError(i, `data-parallel worker exited with code ${code} while training; the other workers were stopped`, code));
      });
    });
  }

  /** Workers whose thread has not exited yet. */
  get liveWorkers(): number {
    return this.alive.size;
  }

  /** A worker died: every pending reply fails with the typed error (the first death is kept). */
  private failAll(error: WorkerError): void {
    this.death ??= error;
    for (const list of this.pending) {
      for (const p of list.splice(0)) p.reject(this.death);
    }
  }

  /** Why the pool cannot go on: the first worker that died, or null. */
  get failure(): WorkerError | null {
    return this.death;
  }

  /** Replies of every worker to the next message it sends (the `ready` after start-up, or a command). */
  private next(i: number): Promise<Reply> {
    if (this.death) return Promise.reject(this.death); // nothing more is sent to a broken pool
    return new Promise<Reply>((resolve, reject) => this.pending[i]!.push({ resolve, reject }));
  }

  /** Waits for every worker's `ready`; throws the first start-up error. */
  async ready(): Promise<void> {
    checkReplies(await this.gather(this.workers.map((_, i) => this.next(i))));
  }

  /** Sends `commands[i]` to worker i (one command for all when a single one is given); returns the replies. */
  async send(commands: Command | Command[]): Promise<Reply[]> {
    return (await this.sendTimed(commands)).replies;
  }

  /** `send`, also giving when the last reply arrived (`performance.now()`). */
  async sendTimed(commands: Command | Command[]): Promise<{ replies: Reply[]; at: number }> {
    let at = 0;
    const replies = this.workers.map((w, i) => {
      const p = this.next(i).then((r) => {
        at = Math.max(at, performance.now());
        return r;
      });
      w.postMessage(Array.isArray(commands) ? commands[i]! : commands);
      return p;
    });
    return { replies: await this.gather(replies), at };
  }

  /** Sends `command` to worker 0 only. */
  async sendFirst(command: Command): Promise<Reply> {
    const p = this.next(0);
    this.workers[0]!.postMessage(command);
    return (await this.gather([p]))[0]!;
  }

  private async gather(replies: Promise<Reply>[]): Promise<Reply[]> {
    const settled = await Promise.allSettled(replies);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<Reply>).value);
  }

  /** Asks every worker to finish, then terminates any that has not within `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    if (this.closing) return Promise.all(this.exited).then(() => undefined);
    this.closing = true;
    for (const list of this.pending) for (const p of list.splice(0)) p.reject(new Error('data-parallel: the workers were closed'));
    for (const [i, w] of this.workers.entries()) if (this.alive.has(i)) w.postMessage({ type: 'close' } satisfies Command);
    const all = Promise.all(this.exited);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const r = await Promise.race([all.then(() => 'done' as const), timeout]);
    clearTimeout(timer);
    if (r === 'timeout') await Promise.all(this.workers.map((w) => w.terminate()));
    await all;
  }

  /** Terminates every worker at once (after an error: a worker may be blocked at the barrier). */
  async terminate(): Promise<void> {
    this.closing = true;
    for (const list of this.pending) for (const p of list.splice(0)) p.reject(new Error('data-parallel: the workers were terminated'));
    await Promise.all(this.workers.map((w) => w.terminate()));
    await Promise.all(this.exited);
  }
}

/**
 * Throws the error a worker reported (its own, not a peer's "aborted"), rebuilt as the same
 * class; returns the replies otherwise.
 */
export function checkReplies(replies: Reply[]): Reply[] {
  const i = replies.findIndex((r) => r.type === 'error');
  if (i >= 0) throw fromWireError((replies[i] as Extract<Reply, { type: 'error' }>).error, i);
  if (replies.some((r) => r.type === 'aborted')) throw new Error('data-parallel: a worker stopped because a peer failed');
  return replies;
}
