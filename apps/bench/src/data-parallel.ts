// The training workloads over worker threads through the public DataParallelTrainer
// (@recurrent/train/node): a copy of the model per worker, each on one thread of its own.
import { Random } from '@recurrent/core';
import { LanguageModel } from '@recurrent/layers';
import { DataParallelTrainer, type StepTimes } from '@recurrent/train/node';
import { cpuSeconds, median, threadDeltas, threadTimes } from './measure';
import { randomIds, type TrainSpec } from './workloads';

export interface ParallelMeasured {
  tokensPerSec: number;
  /** Tokens per CPU second of the whole process (all threads). */
  tokensPerCpuSec: number;
  workers: number;
  stepsPerRun: number;
  seconds: number[];
  /** Per step, the slower worker's phases (ms, median over runs). */
  perStepMs: StepTimes & { wall: number };
  rssMB: number;
  /**
   * From per-thread scheduler times (Linux): per step, the busiest worker thread's on-CPU and
   * run-queue milliseconds (median over runs). On an idle machine a step would take about the
   * on-CPU time; the queue time is what other processes took.
   */
  workerOnCpuMsPerStep: number | null;
  workerQueuedMsPerStep: number | null;
}

/**
 * d2l's setting on `workers` threads: SGD + clipping, random batches (state reset per batch).
 * `between(epoch)` runs after every epoch (outside the timed steps, workers idle): the caller
 * times the one-thread trainer there, so both see the same load on a shared machine.
 */
export async function parallelTrainer(
  spec: TrainSpec,
  options: { workers: number; threadsPerWorker: number; warmup: number; runs: number; stepsPerRun: number },
  between?: (epoch: number, timed: boolean) => void | Promise<void>,
): Promise<ParallelMeasured> {
  const { vocab: V, batch: B, steps: T } = spec;
  const model = new LanguageModel({ cell: spec.cell, input: spec.input, embeddingDim: spec.embeddingDim, vocabSize: V, hiddenSize: spec.hidden, numLayers: spec.layers, random: new Random(0) });
  const x = randomIds(B * T, V, 1);
  const y = randomIds(B * T, V, 2);
  const seconds: number[] = [];
  const cpu: number[] = [];
  const phases: StepTimes[] = [];
  let c0 = 0;
  let th0 = threadTimes();
  const onCpu: number[] = [];
  const queued: number[] = [];
  let rss = 0;
  const trainer: DataParallelTrainer = new DataParallelTrainer({
    model,
    optimizer: { type: 'sgd', lr: spec.lr },
    clipNorm: spec.clip,
    workers: options.workers,
    threadsPerWorker: options.threadsPerWorker,
    callbacks: [
      {
        onEpochBegin: () => {
          trainer.resetStepTimes();
          c0 = cpuSeconds();
          th0 = threadTimes();
        },
        onEpochEnd: async (stats) => {
          const c = cpuSeconds() - c0;
          // The worker threads are the busiest ones during an epoch (the main thread waits).
          const busiest = threadDeltas(th0, threadTimes()).slice(0, options.workers);
          rss = Math.max(rss, process.memoryUsage().rss);
          await between?.(stats.epoch, stats.epoch > options.warmup);
          if (stats.epoch <= options.warmup) return;
          seconds.push(stats.seconds);
          cpu.push(c);
          if (busiest.length === options.workers) {
            const worst = busiest.reduce((a, b) => (b.cpu > a.cpu ? b : a));
            onCpu.push(worst.cpu);
            queued.push(worst.queued);
          }
          const slowest = trainer.stepTimes().reduce((a, b) => (b.compute + b.update > a.compute + a.update ? b : a));
          phases.push(slowest);
        },
      },
    ],
  });
  try {
    await trainer.fit({
      epochs: options.warmup + options.runs,
      data: () => Array.from({ length: options.stepsPerRun }, () => ({ x, y, shape: [B, T] as const })),
    });
  } finally {
    model.dispose();
    trainer.optimizer.dispose();
  }
  const tokens = B * T * options.stepsPerRun;
  const per = (k: keyof StepTimes): number => Number((median(phases.map((p) => p[k])) / options.stepsPerRun).toFixed(2));
  return {
    tokensPerSec: tokens / median(seconds),
    tokensPerCpuSec: tokens / median(cpu),
    workers: options.workers,
    stepsPerRun: options.stepsPerRun,
    seconds: seconds.map((s) => Number(s.toFixed(4))),
    perStepMs: { wall: Number(((median(seconds) * 1000) / options.stepsPerRun).toFixed(2)), compute: per('compute'), wait: per('wait'), update: per('update'), idle: per('idle') },
    rssMB: Number((rss / 2 ** 20).toFixed(1)),
    workerOnCpuMsPerStep: onCpu.length ? Number((median(onCpu) / options.stepsPerRun).toFixed(2)) : null,
    workerQueuedMsPerStep: queued.length ? Number((median(queued) / options.stepsPerRun).toFixed(2)) : null,
  };
}
