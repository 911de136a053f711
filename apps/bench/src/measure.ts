// Timing, matmul peak and memory helpers for the benchmark.
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { tf } from '@recurrent/core';

export interface Timing {
  /** Median wall-clock seconds per run. */
  median: number;
  /** Median CPU seconds (user + system) of this process per run: steadier on a shared machine. */
  medianCpu: number;
  runs: number[];
}

/** CPU seconds this process has used (user + system, every thread). */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Median of `xs` (mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface MemoryPeak {
  /** Largest tfjs tensor memory seen (bytes). */
  tensorBytes: number;
  /** Largest resident set size seen (bytes). */
  rssBytes: number;
  /** Live tensors after the last run minus after the first timed run (growth across steps). */
  tensorGrowth: number;
}

export class MemoryTracker {
  private tensorBytes = 0;
  private rssBytes = 0;
  private firstCount: number | null = null;
  private lastCount = 0;
  sample(): void {
    const m = tf.memory();
    this.tensorBytes = Math.max(this.tensorBytes, m.numBytes);
    this.rssBytes = Math.max(this.rssBytes, process.memoryUsage().rss);
  }
  markRun(): void {
    this.sample();
    const n = tf.memory().numTensors;
    if (this.firstCount === null) this.firstCount = n;
    this.lastCount = n;
  }
  result(): MemoryPeak {
    return { tensorBytes: this.tensorBytes, rssBytes: this.rssBytes, tensorGrowth: this.lastCount - (this.firstCount ?? this.lastCount) };
  }
}

/** Runs `fn` `warmup` times, then `runs` timed times; returns the median. */
export async function timeRuns(fn: () => unknown | Promise<unknown>, warmup: number, runs: number, memory?: MemoryTracker): Promise<Timing> {
  for (let i = 0; i < warmup; i++) {
    await fn();
    memory?.sample();
  }
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
    cpu.push(cpuSeconds() - c0);
    memory?.markRun();
  }
  return { median: median(times), medianCpu: median(cpu), runs: times };
}

/** GFLOP/s of a [n, n]·[n, n] float32 matmul on the current backend (median of 5; wall and CPU time). */
export async function matmulPeakGflops(n = 1024): Promise<{ wall: number; cpu: number }> {
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  const t = await timeRuns(
    () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    },
    2,
    5,
  );
  tf.dispose([a, b]);
  return { wall: (2 * n * n * n) / t.median / 1e9, cpu: (2 * n * n * n) / t.medianCpu / 1e9 };
}

export function machineInfo(backend: unknown): Record<string, unknown> {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backend,
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    date: new Date().toISOString(),
  };
}

/**
 * Milliseconds each thread of this process has spent on a CPU and waiting in the run queue
 * (Linux /proc/self/task/<tid>/schedstat; empty elsewhere). On a shared machine the on-CPU time
 * is what the work costs and the queue time is what other processes took from it.
 */
export function threadTimes(): Map<string, { cpu: number; queued: number }> {
  const out = new Map<string, { cpu: number; queued: number }>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const [cpu, queued] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      out.set(tid, { cpu: cpu! / 1e6, queued: queued! / 1e6 });
    }
  } catch {
    // not Linux: no per-thread figures
  }
  return out;
}

/** Per-thread differences `after - before` (threads present in both), largest on-CPU first. */
export function threadDeltas(before: ReturnType<typeof threadTimes>, after: ReturnType<typeof threadTimes>): { tid: string; cpu: number; queued: number }[] {
  const out: { tid: string; cpu: number; queued: number }[] = [];
  for (const [tid, a] of after) {
    const b = before.get(tid);
    if (b) out.push({ tid, cpu: a.cpu - b.cpu, queued: a.queued - b.queued });
  }
  return out.sort((x, y) => y.cpu - x.cpu);
}
