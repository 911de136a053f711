// Prototype: data-parallel training of a workload over worker threads (each its own tfjs engine
// on one core), against the single-process trainer in the same run. The main thread only hands
// out work; the workers synchronise with each other once per step (see worker.ts).
import { loadavg } from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import { tf, type Tensor } from '@recurrent/core';
import { detachState, disposeState, type RecurrentState } from '@recurrent/layers';
import { SGD, clipGradNorm, crossEntropy, valueAndGrads } from '@recurrent/train';
import { median } from '../measure';
import { randomIds, type TrainSpec } from '../workloads';
import { makeModel } from './model';
import {
  flatLayout,
  sharedBuffers,
  threadSched,
  type Command,
  type FlatLayout,
  type Reply,
  type SyncMode,
  type WorkerTimes,
} from './shared';
import type { WorkerInput } from './worker';

export interface DataParallelOptions {
  workers?: number;
  runs?: number;
  warmup?: number;
  stepsPerRun?: number;
  checkSteps?: number;
}

const BATCHES = 4;

/** Single-process trainer over rows [r0, r0 + rows) of the shared batches, with carried state. */
class SingleTrainer {
  readonly model;
  readonly params;
  private readonly opt;
  private readonly ids: Tensor[] = [];
  private readonly labels: Tensor[] = [];
  private state: RecurrentState;
  constructor(
    private readonly spec: TrainSpec,
    data: { ids: Int32Array; labels: Int32Array },
    private readonly rows: number,
  ) {
    const { batch: B, steps: T } = spec;
    this.model = makeModel(spec);
    this.params = this.model.parameters();
    this.opt = new SGD(this.params, { lr: spec.lr });
    for (let k = 0; k < BATCHES; k++) {
      this.ids.push(
        tf.tensor(data.ids.subarray(k * B * T, k * B * T + rows * T), [rows, T], 'int32'),
      );
      this.labels.push(
        tf.tensor(data.labels.subarray(k * B * T, k * B * T + rows * T), [rows * T], 'int32'),
      );
    }
    this.state = this.model.beginState(rows);
  }
  steps(n: number, firstBatch: number): void {
    const T = this.spec.steps;
    for (let s = 0; s < n; s++) {
      const k = (firstBatch + s) % BATCHES;
      this.opt.zeroGrad();
      let next: RecurrentState | null = null;
      const carried = this.state;
      valueAndGrads(this.params, () => {
        const { logits, state } = this.model.forward(this.ids[k]!, carried); // [rows, T, V]
        next = detachState(state);
        return crossEntropy(tf.reshape(logits, [this.rows * T, this.spec.vocab]), this.labels[k]!);
      });
      disposeState(carried);
      this.state = next!;
      clipGradNorm(this.params, this.spec.clip);
      this.opt.step();
    }
  }
  flatWeights(layout: FlatLayout): Float32Array {
    const out = new Float32Array(layout.total);
    this.params.forEach((p, i) => out.set(p.value.dataSync() as Float32Array, layout.offsets[i]!));
    return out;
  }
  dispose(): void {
    disposeState(this.state);
    this.opt.zeroGrad();
    tf.dispose([...this.ids, ...this.labels]);
    this.model.dispose();
  }
}

/** A worker with a queue of replies. */
class Handle {
  private readonly replies: Reply[] = [];
  private waiter: ((r: Reply) => void) | null = null;
  constructor(readonly worker: Worker) {
    worker.on('message', (r: Reply) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(r);
      } else this.replies.push(r);
    });
  }
  async next(): Promise<Reply> {
    const r =
      this.replies.shift() ?? (await new Promise<Reply>((resolve) => (this.waiter = resolve)));
    if (r.type === 'error') throw new Error(`data-parallel worker: ${r.message}`);
    return r;
  }
  send(c: Command): void {
    this.worker.postMessage(c);
  }
}

export interface DataParallelReport {
  workload: string;
  workers: number;
  stepsPerRun: number;
  runs: number;
  loadAverage1m: number;
  check: {
    steps: number;
    maxAbsDiffAtomics: number;
    maxAbsDiffMessage: number;
    workersIdentical: boolean;
    pass: boolean;
  };
  /** Tokens per on-CPU second (steady on a shared machine); parallel = slower worker + one barrier. */
  onCpuTokensPerSec: {
    single: number;
    singleHalfBatch: number;
    parallelAtomics: number;
    singleQueuedMsPerStep: number;
    singleCpuMsPerStep: number;
    singleHalfBatchCpuMsPerStep: number;
    ratio: number;
  };
  tokensPerSec: {
    single: number;
    singleHalfBatch: number;
    parallelAtomics: number;
    parallelMessage: number;
  };
  ratio: { atomics: number; message: number };
  /** Milliseconds per step, median over runs, of the slower worker (atomics runs). */
  perStepMs: { single: number; singleHalfBatch: number; parallelWall: number } & WorkerTimes;
  perStepMsMessage: WorkerTimes;
  barrierMicros: { atomics: number; message: number };
  seconds: Record<string, number[]>;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(m) ? Infinity : m;
}

export async function dataParallelBench(
  spec: TrainSpec,
  options: DataParallelOptions = {},
): Promise<DataParallelReport> {
  const W = options.workers ?? 2;
  const runs = options.runs ?? 5;
  const warmup = options.warmup ?? 1;
  const stepsPerRun = options.stepsPerRun ?? 4;
  const checkSteps = options.checkSteps ?? 3;
  const { batch: B, steps: T, vocab: V } = spec;
  if (B % W !== 0) throw new Error(`dataParallelBench: batch ${B} must divide by workers ${W}`);
  const data = {
    ids: randomIds(BATCHES * B * T, V, 11),
    labels: randomIds(BATCHES * B * T, V, 12),
  };

  // Reference: the single-process trainer on the full batch, from the same initial weights.
  const reference = new SingleTrainer(spec, data, B);
  const layout = flatLayout(
    reference.model.namedParameters().map(([name, p]) => ({ name, shape: p.shape })),
  );
  const P = layout.total;
  const buffers = sharedBuffers(W, P);
  const initial = reference.flatWeights(layout);

  const handles: Handle[] = [];
  const { port1, port2 } = new MessageChannel();
  for (let index = 0; index < W; index++) {
    const port = index === 0 ? port1 : port2;
    const input: WorkerInput = {
      role: 'recurrent-data-parallel',
      index,
      workers: W,
      spec,
      layout,
      buffers,
      ids: data.ids,
      labels: data.labels,
      batches: BATCHES,
      port,
    };
    handles.push(
      new Handle(new Worker(new URL(import.meta.url), { workerData: input, transferList: [port] })),
    );
  }
  try {
    for (const h of handles) await h.next(); // ready

    const parallelRun = async (
      steps: number,
      firstBatch: number,
      sync: SyncMode,
      reset: boolean,
    ): Promise<WorkerTimes[]> => {
      for (const h of handles)
        h.send({ type: 'run', steps, firstBatch, resetState: reset, loadWeights: reset, sync });
      const out: WorkerTimes[] = [];
      for (const h of handles) {
        const r = await h.next();
        if (r.type !== 'done') throw new Error(`data-parallel: unexpected reply ${r.type}`);
        out.push(r.times);
      }
      return out;
    };
    const workerWeights = (i: number): Float32Array =>
      new Float32Array(buffers.weights, i * P * 4, P).slice();

    // Correctness: checkSteps steps from the same weights, data and zero state.
    reference.steps(checkSteps, 0);
    const expected = reference.flatWeights(layout);
    reference.dispose();
    const diffs: Record<SyncMode, number> = { atomics: 0, message: 0 };
    let identical = true;
    for (const sync of ['atomics', 'message'] as const) {
      new Float32Array(buffers.weights, 0, P).set(initial);
      await parallelRun(checkSteps, 0, sync, true);
      const w0 = workerWeights(0);
      diffs[sync] = maxAbsDiff(w0, expected);
      for (let i = 1; i < W; i++) identical &&= maxAbsDiff(w0, workerWeights(i)) === 0;
    }
    const pass = diffs.atomics <= 1e-4 && diffs.message <= 1e-4 && identical;

    // Timing, interleaved so that load on the shared machine hits every variant alike.
    const single = new SingleTrainer(spec, data, B);
    const half = new SingleTrainer(spec, data, B / W);
    const secs: Record<string, number[]> = {
      single: [],
      singleHalfBatch: [],
      parallelAtomics: [],
      parallelMessage: [],
    };
    const wtimes: Record<SyncMode, WorkerTimes[][]> = { atomics: [], message: [] };
    const cpu: Record<string, number[]> = { single: [], singleHalfBatch: [] };
    const queued: Record<string, number[]> = { single: [], singleHalfBatch: [] };
    let lastCpu = 0;
    let lastQueued = 0;
    const time = async (fn: () => unknown): Promise<number> => {
      const c0 = threadSched();
      const t0 = performance.now();
      await fn();
      const t = (performance.now() - t0) / 1000;
      const c1 = threadSched();
      lastCpu = (c1.cpu - c0.cpu) / 1000;
      lastQueued = (c1.queued - c0.queued) / 1000;
      return t;
    };
    for (let r = 0; r < warmup + runs; r++) {
      const timed = r >= warmup;
      const first = (r * stepsPerRun) % BATCHES;
      const s1 = await time(() => single.steps(stepsPerRun, first));
      if (timed) {
        cpu.single!.push(lastCpu);
        queued.single!.push(lastQueued);
      }
      let wt: WorkerTimes[] = [];
      const s2 = await time(
        async () => (wt = await parallelRun(stepsPerRun, first, 'atomics', false)),
      );
      if (timed) wtimes.atomics.push(wt);
      const s3 = await time(
        async () => (wt = await parallelRun(stepsPerRun, first, 'message', false)),
      );
      if (timed) wtimes.message.push(wt);
      const s4 = await time(() => half.steps(stepsPerRun, first));
      if (timed) {
        cpu.singleHalfBatch!.push(lastCpu);
        queued.singleHalfBatch!.push(lastQueued);
      }
      if (timed) {
        secs.single!.push(s1);
        secs.parallelAtomics!.push(s2);
        secs.parallelMessage!.push(s3);
        secs.singleHalfBatch!.push(s4);
      }
    }
    single.dispose();
    half.dispose();

    const ping: Record<SyncMode, number> = { atomics: 0, message: 0 };
    for (const sync of ['atomics', 'message'] as const) {
      for (const h of handles) h.send({ type: 'pingpong', rounds: 2000, sync });
      const us: number[] = [];
      for (const h of handles) {
        const r = await h.next();
        if (r.type === 'pingpong') us.push(r.microsPerBarrier);
      }
      ping[sync] = Math.max(...us);
    }

    const tokens = B * T * stepsPerRun;
    const tps = (xs: number[], tok = tokens): number => Math.round(tok / median(xs));
    // Per-step times: each run's slowest worker per component, median over runs.
    const perStep = (runsTimes: WorkerTimes[][]): WorkerTimes => {
      const keys: (keyof WorkerTimes)[] = [
        'compute',
        'gradsOut',
        'wait',
        'update',
        'assign',
        'computeCpu',
        'stepCpu',
        'queued',
      ];
      const o = {} as WorkerTimes;
      for (const k of keys)
        o[k] = Number(
          (median(runsTimes.map((ws) => Math.max(...ws.map((w) => w[k])))) / stepsPerRun).toFixed(
            2,
          ),
        );
      return o;
    };
    const ms = (xs: number[]): number => Number(((median(xs) * 1000) / stepsPerRun).toFixed(2));
    const tokensPerSec = {
      single: tps(secs.single!),
      singleHalfBatch: tps(secs.singleHalfBatch!, tokens / W),
      parallelAtomics: tps(secs.parallelAtomics!),
      parallelMessage: tps(secs.parallelMessage!),
    };
    // On-CPU estimate (what the figures would be on an otherwise idle machine): the slower
    // worker's on-CPU step time plus one empty barrier, against the main thread's on-CPU time.
    const atomicsSteps = perStep(wtimes.atomics);
    const cpuSeconds = (xs: number[]): number => median(xs);
    const onCpu = {
      single: Math.round(tokens / cpuSeconds(cpu.single!)),
      singleHalfBatch: Math.round(tokens / W / cpuSeconds(cpu.singleHalfBatch!)),
      parallelAtomics: Math.round((B * T) / ((atomicsSteps.stepCpu + ping.atomics / 1000) / 1000)),
      singleQueuedMsPerStep: Number(((median(queued.single!) * 1000) / stepsPerRun).toFixed(2)),
      singleCpuMsPerStep: Number(((cpuSeconds(cpu.single!) * 1000) / stepsPerRun).toFixed(2)),
      singleHalfBatchCpuMsPerStep: Number(
        ((cpuSeconds(cpu.singleHalfBatch!) * 1000) / stepsPerRun).toFixed(2),
      ),
    };
    return {
      workload: spec.name,
      onCpuTokensPerSec: {
        ...onCpu,
        ratio: Number((onCpu.parallelAtomics / onCpu.single).toFixed(2)),
      },
      workers: W,
      stepsPerRun,
      runs,
      loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
      check: {
        steps: checkSteps,
        maxAbsDiffAtomics: diffs.atomics,
        maxAbsDiffMessage: diffs.message,
        workersIdentical: identical,
        pass,
      },
      tokensPerSec,
      ratio: {
        atomics: Number((tokensPerSec.parallelAtomics / tokensPerSec.single).toFixed(2)),
        message: Number((tokensPerSec.parallelMessage / tokensPerSec.single).toFixed(2)),
      },
      perStepMs: {
        single: ms(secs.single!),
        singleHalfBatch: ms(secs.singleHalfBatch!),
        parallelWall: ms(secs.parallelAtomics!),
        ...atomicsSteps,
      },
      perStepMsMessage: perStep(wtimes.message),
      barrierMicros: {
        atomics: Number(ping.atomics.toFixed(1)),
        message: Number(ping.message.toFixed(1)),
      },
      seconds: Object.fromEntries(
        Object.entries(secs).map(([k, v]) => [k, v.map((s) => Number(s.toFixed(4)))]),
      ),
    };
  } finally {
    for (const h of handles) h.send({ type: 'exit' });
    await Promise.all(handles.map((h) => h.worker.terminate()));
  }
}

export function printDataParallel(r: DataParallelReport): void {
  const c = r.check;
  console.log(`data-parallel ${r.workload}, ${r.workers} workers (load ${r.loadAverage1m}):`);
  console.log(
    `  check after ${c.steps} steps vs single-process batch: ${c.pass ? 'PASS' : 'FAIL'} (max |Δw| atomics ${c.maxAbsDiffAtomics.toExponential(2)}, message ${c.maxAbsDiffMessage.toExponential(2)}; workers identical: ${c.workersIdentical})`,
  );
  const t = r.tokensPerSec;
  console.log(
    `  tok/s: single ${t.single}, 2 workers atomics ${t.parallelAtomics} (${r.ratio.atomics}x), message ${t.parallelMessage} (${r.ratio.message}x); single at batch/${r.workers}: ${t.singleHalfBatch}`,
  );
  const p = r.perStepMs;
  console.log(
    `  ms/step: single ${p.single}, half-batch single ${p.singleHalfBatch}, parallel wall ${p.parallelWall}; per component (slower worker): compute ${p.compute} + grads out ${p.gradsOut} + wait ${p.wait} + update ${p.update} + assign ${p.assign}`,
  );
  const m = r.perStepMsMessage;
  console.log(
    `  ms/step (message sync): compute ${m.compute} + grads out ${m.gradsOut} + wait ${m.wait} + update ${m.update} + assign ${m.assign}`,
  );
  const o = r.onCpuTokensPerSec;
  console.log(
    `  on-CPU: worker compute ${p.computeCpu} ms/step (single ${o.singleCpuMsPerStep}, half-batch single ${o.singleHalfBatchCpuMsPerStep}), worker step ${p.stepCpu}, queued ${p.queued} (single queued ${o.singleQueuedMsPerStep}) → tok/s single ${o.single}, half ${o.singleHalfBatch}, 2 workers ${o.parallelAtomics} (${o.ratio}x)`,
  );
  console.log(
    `  empty barrier: atomics ${r.barrierMicros.atomics} µs, message ${r.barrierMicros.message} µs`,
  );
}
