// `pnpm bench [--json FILE] [--only NAME,...] [--runs N] [--no-baseline] [--no-variants] [--parallel]`:
// the workloads of ARCHITECTURE.md for Recurrent and for the tfjs-layers baseline, in one process
// on the same WASM backend, with the matmul peak measured in the same run. `--parallel` runs the
// data-parallel (2 worker threads) training prototype of the d2l LSTM instead (with --only, both).
import { writeFileSync } from 'node:fs';
import { init, registerWasmFixes, unregisterWasmFixes } from '@recurrent/core';
import { baselineGenerator, baselineTrainer } from './baseline';
import { MemoryTracker, machineInfo, matmulPeakGflops, timeRuns, type MemoryPeak } from './measure';
import { dataParallelBench, printDataParallel } from './parallel/data-parallel';
import { isDataParallelWorker, runDataParallelWorker } from './parallel/worker';
import { apiGenerator, apiTrainer } from './recurrent-api';
import { directGenerator, directTrainer } from './recurrent-direct';
import { allSpecs, charLm, flopsPerToken, tokensPerRun, type Runner, type Spec } from './workloads';

interface Args {
  json: string | null;
  only: string[] | null;
  runs: number;
  warmup: number;
  baseline: boolean;
  variants: boolean;
  parallel: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { json: null, only: null, runs: 3, warmup: 1, baseline: true, variants: true, parallel: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${arg} needs a value`);
      return v;
    };
    if (arg === '--json') a.json = value();
    else if (arg === '--only') a.only = value().split(',');
    else if (arg === '--runs') a.runs = Number(value());
    else if (arg === '--warmup') a.warmup = Number(value());
    else if (arg === '--no-baseline') a.baseline = false;
    else if (arg === '--no-variants') a.variants = false;
    else if (arg === '--parallel') a.parallel = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: bench [--json FILE] [--only NAME,...] [--runs N] [--warmup N] [--no-baseline] [--no-variants] [--parallel]');
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${arg}`);
  }
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error('bench: --runs must be a positive integer');
  return a;
}

interface Measured {
  tokensPerSec: number | null;
  /** Tokens per CPU second of this process (steadier than wall time on a shared machine). */
  tokensPerCpuSec?: number;
  error?: string;
  memory?: MemoryPeak;
  seconds?: number[];
}

async function measure(spec: Spec, make: () => Runner, args: Args, runs = args.runs): Promise<Measured> {
  let runner: Runner | null = null;
  try {
    runner = make();
    const memory = new MemoryTracker();
    const t = await timeRuns(() => runner!.run(), args.warmup, runs, memory);
    return { tokensPerSec: tokensPerRun(spec) / t.median, tokensPerCpuSec: tokensPerRun(spec) / t.medianCpu, memory: memory.result(), seconds: t.runs.map((s) => Number(s.toFixed(4))) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { tokensPerSec: null, error: message.split('\n')[0]!.slice(0, 160) };
  } finally {
    try {
      runner?.dispose();
    } catch {
      // a failed model may not dispose cleanly; the measurement already says it failed
    }
  }
}

function fmt(v: number | null, digits = 0): string {
  return v === null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const backend = await init();
  const peaks = await matmulPeakGflops();
  const peak = peaks.wall;
  console.log(`backend ${JSON.stringify(backend)}; [1024]^3 matmul: ${peak.toFixed(1)} GFLOP/s wall, ${peaks.cpu.toFixed(1)} per CPU second`);
  const specs = args.parallel && !args.only ? [] : allSpecs.filter((s) => !args.only || args.only.some((o) => s.name.includes(o)));
  const workloads: Record<string, unknown>[] = [];
  for (const spec of specs) {
    const isTrain = spec.kind === 'train';
    const recurrent = await measure(spec, () => (isTrain ? apiTrainer(spec) : apiGenerator(spec)), args);
    const variants: Record<string, Measured> = {};
    if (args.variants) {
      variants.coreOpsFused = await measure(spec, () => (isTrain ? directTrainer(spec, 'fused') : directGenerator(spec)), args);
      if (isTrain && spec.input === 'one-hot') variants.layersOneHotMatmul = await measure(spec, () => apiTrainer(spec, undefined, 'one-hot-matmul'), args);
      if (!isTrain) variants.layersTensorStep = await measure(spec, () => apiGenerator(spec, 'tensor-step'), args);
      if (isTrain && spec.layers === 1) variants.coreOpsComposed = await measure(spec, () => directTrainer(spec, 'composed'), args, 1);
    }
    let baseline: Measured = { tokensPerSec: null, error: 'not run (--no-baseline)' };
    if (args.baseline) {
      unregisterWasmFixes(); // the baseline runs on tfjs's stock kernels
      try {
        baseline = await measure(spec, () => (isTrain ? baselineTrainer(spec) : baselineGenerator(spec)), args);
      } finally {
        registerWasmFixes();
      }
    }
    const flops = flopsPerToken(spec);
    const r = recurrent.tokensPerSec;
    const b = baseline.tokensPerSec;
    const entry = {
      name: spec.name,
      recurrentTokensPerSec: r === null ? null : Math.round(r),
      baselineTokensPerSec: b === null ? null : Math.round(b),
      baselineStatus: b === null ? (args.baseline ? `fails: ${baseline.error}` : 'not run') : 'ok',
      ratio: r !== null && b !== null ? Number((r / b).toFixed(2)) : null,
      matmulPeakGflops: Number(peak.toFixed(2)),
      flopsPerToken: flops,
      efficiency: r === null ? null : Number(((flops * r) / (peak * 1e9)).toFixed(3)),
      recurrentStatus: r === null ? `fails: ${recurrent.error}` : 'ok',
      cpuTime: {
        recurrentTokensPerCpuSec: recurrent.tokensPerCpuSec === undefined ? null : Math.round(recurrent.tokensPerCpuSec),
        baselineTokensPerCpuSec: baseline.tokensPerCpuSec === undefined ? null : Math.round(baseline.tokensPerCpuSec),
        ratio: recurrent.tokensPerCpuSec !== undefined && baseline.tokensPerCpuSec !== undefined ? Number((recurrent.tokensPerCpuSec / baseline.tokensPerCpuSec).toFixed(2)) : null,
        matmulPeakGflops: Number(peaks.cpu.toFixed(2)),
        efficiency: recurrent.tokensPerCpuSec === undefined ? null : Number(((flops * recurrent.tokensPerCpuSec) / (peaks.cpu * 1e9)).toFixed(3)),
      },
      peakMemory: recurrent.memory
        ? { tensorMB: Number((recurrent.memory.tensorBytes / 2 ** 20).toFixed(1)), rssMB: Number((recurrent.memory.rssBytes / 2 ** 20).toFixed(1)), tensorGrowthAcrossRuns: recurrent.memory.tensorGrowth }
        : null,
      variants: Object.fromEntries(
        Object.entries(variants).map(([k, v]) => [k, { tokensPerSec: v.tokensPerSec === null ? null : Math.round(v.tokensPerSec), tokensPerCpuSec: v.tokensPerCpuSec === undefined ? null : Math.round(v.tokensPerCpuSec), efficiency: v.tokensPerSec === null ? null : Number(((flops * v.tokensPerSec) / (peak * 1e9)).toFixed(3)), ...(v.error ? { error: v.error } : {}) }]),
      ),
      seconds: { recurrent: recurrent.seconds ?? null, baseline: baseline.seconds ?? null },
    };
    workloads.push(entry);
    const variantText = Object.entries(variants)
      .map(([k, v]) => `${k} ${fmt(v.tokensPerSec)} (cpu ${fmt(v.tokensPerCpuSec ?? null)})`)
      .join(', ');
    console.log(
      `${spec.name.padEnd(26)} recurrent ${fmt(r).padStart(8)} tok/s  baseline ${(b === null && args.baseline ? 'fails' : fmt(b)).padStart(8)}  ratio ${entry.ratio === null ? '-' : entry.ratio.toFixed(1) + 'x'}  efficiency ${entry.efficiency === null ? '-' : (entry.efficiency * 100).toFixed(0) + '%'} | per CPU s: ${fmt(entry.cpuTime.recurrentTokensPerCpuSec)} vs ${fmt(entry.cpuTime.baselineTokensPerCpuSec)} (${entry.cpuTime.ratio ?? '-'}x, eff ${entry.cpuTime.efficiency === null ? '-' : (entry.cpuTime.efficiency * 100).toFixed(0) + '%'})${variantText ? `  [${variantText}]` : ''}${r === null ? `  (${recurrent.error})` : ''}${b === null && args.baseline ? `  (baseline: ${baseline.error})` : ''}`,
    );
  }
  const parallel = args.parallel ? await dataParallelBench(charLm('lstm'), { runs: Math.max(args.runs, 5), warmup: args.warmup }) : undefined;
  if (parallel) printDataParallel(parallel);
  const result = { machine: { ...machineInfo(backend), matmulPeakGflops: Number(peak.toFixed(2)), matmulPeakGflopsPerCpuSecond: Number(peaks.cpu.toFixed(2)), totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)) }, workloads, ...(parallel ? { dataParallel: parallel } : {}) };
  console.log(`total ${result.machine.totalSeconds} s`);
  if (args.json) {
    writeFileSync(args.json, JSON.stringify(result, null, 2) + '\n');
    console.log(`wrote ${args.json}`);
  }
}

// The data-parallel prototype's workers run this same bundle.
if (isDataParallelWorker()) void runDataParallelWorker();
else
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
