// One data-parallel training worker: its own tfjs engine (init) and LanguageModel, its rows of
// the batch with their own carried state; gradients go to shared memory, and after the barrier
// every worker applies the same sum → global-norm clip → SGD update to its own copy of the
// weights (an all-reduce with one barrier per step; identical float operations keep the copies equal).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { init, tf, type Tensor } from '@recurrent/core';
import { detachState, disposeState, type RecurrentState } from '@recurrent/layers';
import { crossEntropy, valueAndGrads } from '@recurrent/train';
import type { TrainSpec } from '../workloads';
import { makeModel } from './model';
import {
  AtomicsBarrier,
  PortBarrier,
  threadSched,
  type Barrier,
  type Command,
  type FlatLayout,
  type Reply,
  type SharedBuffers,
  type WorkerTimes,
} from './shared';

export interface WorkerInput {
  role: 'recurrent-data-parallel';
  index: number;
  workers: number;
  spec: TrainSpec;
  layout: FlatLayout;
  buffers: SharedBuffers;
  /** All batches: ids [K, B, T] and labels [K, B, T], row-major. */
  ids: Int32Array;
  labels: Int32Array;
  batches: number;
  port: MessagePort;
}

export function isDataParallelWorker(): boolean {
  return (workerData as { role?: string } | null)?.role === 'recurrent-data-parallel';
}

export async function runDataParallelWorker(): Promise<void> {
  const input = workerData as WorkerInput;
  const post = (r: Reply): void => parentPort!.postMessage(r);
  try {
    await init();
    const worker = new DataParallelWorker(input);
    post({ type: 'ready' });
    parentPort!.on('message', (cmd: Command) => {
      void (async () => {
        try {
          if (cmd.type === 'exit') {
            worker.dispose();
            parentPort!.close();
            input.port.close();
          } else if (cmd.type === 'run') post({ type: 'done', times: await worker.run(cmd) });
          else
            post({
              type: 'pingpong',
              microsPerBarrier: await worker.pingpong(cmd.rounds, cmd.sync),
            });
        } catch (error) {
          post({
            type: 'error',
            message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          });
        }
      })();
    });
  } catch (error) {
    post({
      type: 'error',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
}

class DataParallelWorker {
  private readonly model;
  private readonly params;
  private readonly rows: number;
  private readonly ids: Tensor[] = [];
  private readonly labels: Tensor[] = [];
  private readonly grads: Float32Array;
  private readonly shared: Float32Array;
  /** This worker's copy of the flat weights (equal across workers after every step). */
  private readonly w: Float32Array;
  /** Scratch: the summed gradient. */
  private readonly sum: Float32Array;
  private state: RecurrentState | null = null;
  private parity = 0;
  private readonly atomics: AtomicsBarrier;
  private readonly messages: PortBarrier;

  constructor(private readonly input: WorkerInput) {
    const { spec, workers, index } = input;
    const { batch: B, steps: T } = spec;
    this.rows = B / workers;
    this.model = makeModel(spec);
    this.params = this.model.parameters();
    const r0 = index * this.rows;
    for (let k = 0; k < input.batches; k++) {
      const from = k * B * T + r0 * T;
      const to = from + this.rows * T;
      this.ids.push(tf.tensor(input.ids.subarray(from, to), [this.rows, T], 'int32'));
      this.labels.push(tf.tensor(input.labels.subarray(from, to), [this.rows * T], 'int32'));
    }
    this.grads = new Float32Array(input.buffers.grads);
    this.shared = new Float32Array(input.buffers.weights);
    this.w = new Float32Array(input.layout.total);
    this.sum = new Float32Array(input.layout.total);
    this.atomics = new AtomicsBarrier(input.buffers.control, workers);
    this.messages = new PortBarrier(input.port);
  }

  private assignWeights(): void {
    const { offsets, sizes, shapes } = this.input.layout;
    this.params.forEach((p, i) => {
      const t = tf.tensor(
        this.w.subarray(offsets[i]!, offsets[i]! + sizes[i]!),
        shapes[i]!,
        'float32',
      );
      p.assign(t);
      t.dispose();
    });
  }

  async run(cmd: Extract<Command, { type: 'run' }>): Promise<WorkerTimes> {
    const { spec, workers, index, layout } = this.input;
    const P = layout.total;
    const V = spec.vocab;
    const T = spec.steps;
    const times: WorkerTimes = {
      compute: 0,
      gradsOut: 0,
      wait: 0,
      update: 0,
      assign: 0,
      computeCpu: 0,
      stepCpu: 0,
      queued: 0,
    };
    if (cmd.loadWeights) {
      this.w.set(this.shared.subarray(0, P));
      this.assignWeights();
    }
    if (cmd.resetState || !this.state) {
      if (this.state) disposeState(this.state);
      this.state = this.model.beginState(this.rows);
    }
    const barrier: Barrier = cmd.sync === 'atomics' ? this.atomics : this.messages;
    const scale = this.rows / spec.batch; // the halves' losses sum to the full-batch mean
    for (let s = 0; s < cmd.steps; s++) {
      const k = (cmd.firstBatch + s) % this.input.batches;
      const c0 = threadSched();
      const t0 = performance.now();
      let next: RecurrentState | null = null;
      const carried: RecurrentState = this.state!; // set above
      valueAndGrads(
        this.params,
        () => {
          const { logits, state } = this.model.forward(this.ids[k]!, carried); // [rows, T, V]
          next = detachState(state);
          return tf.mul(
            crossEntropy(tf.reshape(logits, [this.rows * T, V]), this.labels[k]!),
            scale,
          );
        },
        { mode: 'replace' },
      );
      disposeState(carried);
      this.state = next;
      const t1 = performance.now();
      const c1 = threadSched();
      const base = (this.parity * workers + index) * P;
      this.params.forEach((p, i) =>
        this.grads.set(p.grad!.dataSync() as Float32Array, base + layout.offsets[i]!),
      );
      const t2 = performance.now();
      await barrier.arrive();
      const t3 = performance.now();
      this.update(this.parity * workers * P, workers, P, spec.clip, spec.lr);
      this.parity ^= 1;
      const t4 = performance.now();
      this.assignWeights();
      const t5 = performance.now();
      const c5 = threadSched();
      times.computeCpu += c1.cpu - c0.cpu;
      times.stepCpu += c5.cpu - c0.cpu;
      times.queued += c5.queued - c0.queued;
      times.compute += t1 - t0;
      times.gradsOut += t2 - t1;
      times.wait += t3 - t2;
      times.update += t4 - t3;
      times.assign += t5 - t4;
    }
    this.shared.set(this.w, index * P);
    return times;
  }

  /** Sums the workers' gradients, clips them by their global L2 norm and takes the SGD step on `w`. */
  private update(base: number, workers: number, P: number, clip: number, lr: number): void {
    const g = this.grads;
    const w = this.w;
    const sum = this.sum;
    let sq = 0;
    sum.set(g.subarray(base, base + P));
    for (let j = 1; j < workers; j++) {
      const o = base + j * P;
      const last = j === workers - 1;
      for (let i = 0; i < P; i++) {
        const v = Math.fround(sum[i]! + g[o + i]!);
        sum[i] = v;
        if (last) sq += v * v;
      }
    }
    if (workers === 1) for (let i = 0; i < P; i++) sq += sum[i]! * sum[i]!;
    const coef = Math.min(1, clip / (Math.sqrt(sq) + 1e-6));
    for (let i = 0; i < P; i++) w[i] = w[i]! - lr * Math.fround(sum[i]! * coef);
  }

  async pingpong(rounds: number, sync: 'atomics' | 'message'): Promise<number> {
    const barrier: Barrier = sync === 'atomics' ? this.atomics : this.messages;
    await barrier.arrive();
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) await barrier.arrive();
    return ((performance.now() - t0) * 1000) / rounds;
  }

  dispose(): void {
    if (this.state) disposeState(this.state);
    tf.dispose([...this.ids, ...this.labels]);
    for (const p of this.params) p.zeroGrad();
    this.model.dispose();
    this.messages.close();
  }
}
