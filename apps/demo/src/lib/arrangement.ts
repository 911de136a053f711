// How `recurrent train` uses the machine's cores: one process whose kernels (products, the
// recurrent layers' time loops, the loss) run on core's thread pool, or data-parallel workers
// (a copy of the model each, the batch's rows split between them, each worker on its own pool).
//
// Measured at equal cores on a 2-core machine, the pool, interleaved with the data-parallel
// epochs (tokens/s, pool over 2 workers × 1 thread): one-hot char models with batch 32 × 35 steps,
// RNN hidden 32, 64, 128, 256: 1.86×, 2.20×, 1.87×, 1.36×; LSTM 32, 64, 128, 256: 1.95×, 1.80×,
// 1.26×, 1.10×; and the workloads of `pnpm bench` (threadScaling.dataParallel). The workers
// also hold a copy of the model each (the word LM: 4.45 GB against under 1 GB). So the pool is
// the default for every model; workers run only when asked for (`--workers`).
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '@recurrent/core';

export type Arrangement =
  | { kind: 'threads'; /** Threads of the pool (undefined: core's default, the cores). */ threads: number | undefined }
  | { kind: 'data-parallel'; workers: number; threadsPerWorker: number };

/**
 * The arrangement for `--threads` and `--workers`: data-parallel when more than one worker is
 * asked for (each with `--threads` threads, default the cores shared out), else one process
 * on `--threads` threads (default: every core).
 */
export function chooseArrangement(o: { threads?: number; workers?: number }, cores = availableParallelism()): Arrangement {
  const workers = o.workers ?? 1;
  if (workers > 1) return { kind: 'data-parallel', workers, threadsPerWorker: o.threads ?? Math.max(1, Math.floor(cores / workers)) };
  return { kind: 'threads', threads: o.threads };
}

/** Data-parallel runs write no checkpoints here: refuses `--out` and `--resume` with `--workers`. */
export function checkArrangement(a: Arrangement, o: { out?: string; resume?: string }): void {
  if (a.kind !== 'data-parallel') return;
  for (const [argument, value] of [
    ['--out', o.out],
    ['--resume', o.resume],
  ] as const) {
    if (value !== undefined)
      throw new InvalidArgumentError({ fn: 'train', argument: '--workers', expected: `1 with ${argument} (checkpoints are written by the one-process arrangement)`, received: a.workers });
  }
}

/** How the run uses the cores, for the start line. */
export function describeArrangement(a: Arrangement, threads: number): string {
  return a.kind === 'threads' ? `one process on ${threads} thread${threads === 1 ? '' : 's'}` : `data-parallel: ${a.workers} workers × ${a.threadsPerWorker} thread${a.threadsPerWorker === 1 ? '' : 's'}`;
}
