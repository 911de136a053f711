// Timing, matmul peak and memory helpers for the benchmark.
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { tf } from '@recurrent/core';
import type { Runner } from './workloads';

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

/** CPU seconds every process of the machine has used so far (Linux /proc/stat; null elsewhere). */
export function machineCpuSeconds(): number | null {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / 100; // USER_HZ ticks
  } catch {
    return null;
  }
}

/**
 * Cores' worth of CPU that other processes took while `fn` ran (the machine's busy time minus
 * this process's, over the wall time): on a shared machine, 0 means the timings were alone.
 */
export async function othersLoad<T>(fn: () => Promise<T>): Promise<{ value: T; othersCores: number | null }> {
  const m0 = machineCpuSeconds();
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const value = await fn();
  const m1 = machineCpuSeconds();
  const wall = (performance.now() - t0) / 1000;
  if (m0 === null || m1 === null || wall <= 0) return { value, othersCores: null };
  return { value, othersCores: Number(Math.max(0, (m1 - m0 - (cpuSeconds() - c0)) / wall).toFixed(2)) };
}

/** Median, smallest and largest of a figure over the timed runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** One side of an interleaved comparison: how to switch to it (threads, kernels) and its runner. */
export interface Subject {
  key: string;
  /** Puts the process in this subject's configuration (init's threads, the kernels registered). */
  enter(): Promise<void>;
  make(): Runner;
}

export interface SubjectResult {
  /** Seconds of each timed run, in the order taken. */
  seconds: number[];
  /** CPU seconds of the whole process (every thread) during each run. */
  cpuSeconds: number[];
  /** Largest resident set size seen while this subject ran (bytes; the process's, all subjects' memory). */
  rssBytes: number;
  /**
   * Live tensors after its last run minus after its first (growth across steps); with `fresh`
   * subjects, after each round's dispose (what a made, run and disposed model leaves behind).
   */
  tensorGrowth: number;
  error?: string;
}

/**
 * Times `subjects` against each other on a shared, drifting machine: every subject gets the same
 * `warmup` runs, then the timed runs alternate between them (A B C, B C A, …: each round starts
 * one later, so none is always first after a switch), so each sees the same load. With `fresh`
 * (models too large for all to live at once: the word LM's would exhaust tfjs's heap) each
 * round makes every subject anew, warms it up and times one run, then disposes it.
 */
export async function interleave(subjects: Subject[], warmup: number, runs: number, fresh = false): Promise<Record<string, SubjectResult>> {
  const results: Record<string, SubjectResult> = {};
  const live = new Map<string, Runner>();
  const firstCount = new Map<string, number>();
  const countTensors = (key: string): void => {
    const n = tf.memory().numTensors;
    if (!firstCount.has(key)) firstCount.set(key, n);
    results[key]!.tensorGrowth = n - firstCount.get(key)!;
  };
  for (const s of subjects) results[s.key] = { seconds: [], cpuSeconds: [], rssBytes: 0, tensorGrowth: 0 };
  const fail = (key: string, error: unknown): void => {
    results[key]!.error = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 160);
  };
  const dispose = (r: Runner | undefined): void => {
    try {
      r?.dispose();
    } catch {
      // a failed model may not dispose cleanly; the result already says it failed
    }
  };
  /** Makes and warms up a subject; null (its error recorded) when that failed. */
  const start = async (s: Subject): Promise<Runner | null> => {
    let r: Runner | undefined;
    try {
      await s.enter();
      r = s.make();
      for (let i = 0; i < warmup; i++) await r.run();
      results[s.key]!.rssBytes = Math.max(results[s.key]!.rssBytes, process.memoryUsage().rss);
      return r;
    } catch (error) {
      fail(s.key, error);
      dispose(r);
      return null;
    }
  };
  if (!fresh)
    for (const s of subjects) {
      const r = await start(s);
      if (r) live.set(s.key, r);
    }
  for (let round = 0; round < runs; round++) {
    for (let j = 0; j < subjects.length; j++) {
      const s = subjects[(round + j) % subjects.length]!;
      const out = results[s.key]!;
      if (out.error) continue;
      const r = fresh ? await start(s) : live.get(s.key)!;
      if (!r) continue;
      try {
        await s.enter();
        const c0 = cpuSeconds();
        const t0 = performance.now();
        await r.run();
        out.seconds.push((performance.now() - t0) / 1000);
        out.cpuSeconds.push(cpuSeconds() - c0);
        out.rssBytes = Math.max(out.rssBytes, process.memoryUsage().rss);
        if (!fresh) countTensors(s.key);
      } catch (error) {
        fail(s.key, error);
      }
      if (fresh) {
        await s.enter();
        dispose(r);
        countTensors(s.key);
      }
    }
  }
  for (const s of subjects) {
    const r = live.get(s.key);
    if (!r) continue;
    await s.enter();
    dispose(r);
  }
  return results;
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
