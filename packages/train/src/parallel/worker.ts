// One data-parallel worker: its own tfjs engine, a copy of the model and of the optimizer, and
// the rows of each batch the main thread hands it (with their own carried state). A step:
// forward + backward on its rows → gradients into shared memory → barrier → every worker sums
// the same slots in the same order, sets the sum as `p.grad`, clips and steps the existing
// optimizer. Identical float operations on identical inputs keep every copy equal.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { init, manualSeed, tf } from '@recurrent/core';
import { LanguageModel, detachState, disposeState, type RecurrentState } from '@recurrent/layers';
import { clipGradNorm } from '../clip/clip-grad';
import { valueAndGrads } from '../grad/value-and-grads';
import { crossEntropy } from '../losses/cross-entropy';
import type { Optimizer } from '../optim/optimizer';
import { createOptimizer, loadPlainOptimizerState, plainOptimizerState } from './optimizer-spec';
import { Barrier, PeerAbortedError, type CarriedRows, type Command, type Reply, type WireError, type WorkerInit } from './protocol';

type StepCommand = Extract<Command, { type: 'step' }>;

class DataParallelWorker {
  private readonly model: LanguageModel;
  private readonly params;
  private readonly optimizer: Optimizer;
  private readonly grads: Float32Array;
  private readonly losses: Float64Array;
  private readonly sum: Float32Array;
  private readonly offsets: number[] = [];
  private state: RecurrentState | null = null;
  private parity = 0;
  /** Set after a non-finite loss: later steps (already queued by the main thread) are refused. */
  private halted = false;
  /** When the previous step ended (for the idle time between steps). */
  private lastEnd = -1;

  constructor(
    private readonly input: WorkerInit,
    private readonly barrier: Barrier,
  ) {
    manualSeed(input.seed + input.index);
    this.model = new LanguageModel(input.config);
    const named = this.model.namedParameters();
    if (named.length !== input.names.length || named.some(([n], i) => n !== input.names[i])) {
      throw new Error(`data-parallel worker: parameter names differ from the main thread's (${named.map(([n]) => n).join(', ')})`);
    }
    this.params = named.map(([, p]) => p);
    let offset = 0;
    this.params.forEach((p, i) => {
      const t = tf.tensor(input.weights[i]!, p.shape, 'float32');
      p.assign(t);
      t.dispose();
      this.offsets.push(offset);
      offset += p.value.size;
    });
    this.model.train(true);
    this.optimizer = createOptimizer(this.params, input.optimizer);
    loadPlainOptimizerState(this.optimizer, input.optimizerState);
    this.grads = new Float32Array(input.shared.grads);
    this.losses = new Float64Array(input.shared.losses);
    this.sum = new Float32Array(input.shared.size);
  }

  step(cmd: StepCommand): Reply {
    if (this.halted) return { type: 'aborted' };
    const { workers, index } = this.input;
    const P = this.input.shared.size;
    const slot = (this.parity * workers + index) * P;
    const t0 = performance.now();
    let start = this.state;
    this.state = null;
    if (start && (!cmd.carry || start.h.shape[1] !== cmd.rows)) {
      disposeState(start);
      start = null;
    }
    let loss = 0;
    if (cmd.rows > 0) {
      const x = tf.tensor2d(cmd.x, [cmd.rows, cmd.steps], 'int32');
      const y = tf.tensor2d(cmd.y, [cmd.rows, cmd.steps], 'int32');
      const mask = cmd.mask ? tf.tensor2d(cmd.mask, [cmd.rows, cmd.steps], 'float32') : null;
      let next: RecurrentState | null = null;
      try {
        for (const p of this.params) p.zeroGrad();
        ({ loss } = valueAndGrads(
          this.params,
          () => {
            const out = this.model.forward(x, start ?? this.model.beginState(cmd.rows)); // logits [rows, T, V]
            next = detachState(out.state);
            const summed = crossEntropy(out.logits, y, mask ? { reduction: 'sum', mask } : { reduction: 'sum' });
            return tf.div(summed, cmd.totalTargets); // the workers' parts add up to the batch mean
          },
          { mode: 'replace' },
        ));
      } finally {
        disposeState(start);
        tf.dispose([x, y, ...(mask ? [mask] : [])]);
      }
      this.state = next;
      this.params.forEach((p, i) => {
        if (p.grad) this.grads.set(p.grad.dataSync() as Float32Array, slot + this.offsets[i]!);
        else this.grads.fill(0, slot + this.offsets[i]!, slot + this.offsets[i]! + p.value.size);
      });
    } else {
      disposeState(start);
      this.grads.fill(0, slot, slot + P);
    }
    this.losses[this.parity * workers + index] = loss;

    const t1 = performance.now();
    this.barrier.arrive();
    const t2 = performance.now();

    // Every worker reads the same slots in the same order: the sums are bit-identical.
    let total = 0;
    for (let w = 0; w < workers; w++) total += this.losses[this.parity * workers + w]!;
    const base = this.parity * workers * P;
    this.parity ^= 1;
    if (!Number.isFinite(total)) {
      this.halted = true;
      for (const p of this.params) p.zeroGrad();
      return { type: 'nonFinite', loss: total };
    }
    const sum = this.sum;
    sum.set(this.grads.subarray(base, base + P));
    for (let w = 1; w < workers; w++) {
      const o = base + w * P;
      for (let i = 0; i < P; i++) sum[i] = sum[i]! + this.grads[o + i]!;
    }
    this.params.forEach((p, i) => {
      const o = this.offsets[i]!;
      p.setGrad(tf.tensor(sum.subarray(o, o + p.value.size), p.shape, 'float32'));
    });
    const gradNorm = this.input.clipNorm !== null ? clipGradNorm(this.params, this.input.clipNorm) : NaN;
    const lr = cmd.lr;
    this.optimizer.lr = lr;
    this.optimizer.step();
    this.optimizer.zeroGrad();
    const end = performance.now();
    const times = { compute: t1 - t0, wait: t2 - t1, update: end - t2, idle: this.lastEnd < 0 ? 0 : t0 - this.lastEnd };
    this.lastEnd = end;
    return { type: 'stepDone', loss: total, gradNorm, lr, times };
  }

  /** Another command came between steps: the next step's idle time is not counted. */
  pause(): void {
    this.lastEnd = -1;
  }

  /** The state carried into this worker's rows' next batch, as arrays. */
  carried(): CarriedRows | null {
    const s = this.state;
    if (!s) return null;
    return { shape: s.h.shape as [number, number, number], h: s.h.dataSync() as Float32Array, c: s.c ? (s.c.dataSync() as Float32Array) : null };
  }

  /** Sets the state its rows' next batch continues from (a resumed epoch). */
  carry(rows: CarriedRows | null): void {
    disposeState(this.state);
    this.state = rows ? (rows.c ? { h: tf.tensor(rows.h, rows.shape), c: tf.tensor(rows.c, rows.shape) } : { h: tf.tensor(rows.h, rows.shape) }) : null;
  }

  weights(): Float32Array[] {
    return this.params.map((p) => p.value.dataSync() as Float32Array);
  }

  optimizerState(): Reply {
    return { type: 'optimizerState', state: plainOptimizerState(this.optimizer) };
  }

  dispose(): void {
    disposeState(this.state);
    this.state = null;
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** Plain fields of an error, for rebuilding it on the main thread. */
export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(error)) {
    try {
      fields[k] = structuredClone(v);
    } catch {
      fields[k] = String(v);
    }
  }
  return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}), fields };
}

/** The worker's main: start-up, then one reply per command until `close`. */
export async function runWorker(): Promise<void> {
  const port = parentPort;
  if (isMainThread || !port) throw new Error('data-parallel worker: must run in a worker thread');
  const input = workerData as WorkerInit;
  const post = (r: Reply): void => port.postMessage(r);
  const barrier = new Barrier(input.shared.control, input.workers);
  let worker: DataParallelWorker | null = null;
  const fail = (error: unknown): void => {
    barrier.abort();
    post(error instanceof PeerAbortedError ? { type: 'aborted' } : { type: 'error', error: toWireError(error) });
  };
  try {
    await init({ threads: input.threads });
    worker = new DataParallelWorker(input, barrier);
    post({ type: 'ready' });
  } catch (error) {
    fail(error);
    return;
  }
  const w = worker;
  port.on('message', (cmd: Command) => {
    try {
      if (cmd.type === 'step') {
        post(w.step(cmd));
        return;
      }
      w.pause();
      if (cmd.type === 'weights') post({ type: 'weights', weights: w.weights() });
      else if (cmd.type === 'optimizerState') post(w.optimizerState());
      else if (cmd.type === 'memory') post({ type: 'memory', ...tf.memory() });
      else if (cmd.type === 'carried') post({ type: 'carried', state: w.carried() });
      else if (cmd.type === 'carry') {
        w.carry(cmd.state);
        post({ type: 'ok' });
      }
      else {
        w.dispose();
        port.close();
      }
    } catch (error) {
      fail(error);
    }
  });
}
