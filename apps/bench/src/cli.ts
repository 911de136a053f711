// `pnpm bench [--json FILE] [--only NAME,...] [--runs N] [--no-baseline] [--no-variants] [--threads N] [--no-relaxed-simd]`:
// the workloads of ARCHITECTURE.md for Recurrent and for the tfjs-layers baseline, in one process
// on the same WASM backend, with the matmul peak measured in the same run. Training workloads run
// on one thread and over `--threads` worker threads (default: every core) through the public
// DataParallelTrainer; the headline is the parallel figure, measured against the matmul peak of
// that many threads at once, with the one-thread figure against the one-thread peak beside it.
// Relaxed SIMD is on by default (Node 22+ and Chrome 114+ ship it; on Node 20 the bench turns on
// V8's flag before our module is compiled), so our module's fused multiply-add build is measured,
// as users of current engines get it; on Node 20, `--no-relaxed-simd` leaves the flag off and so
// measures the plain SIMD build (Node 22+ validates the relaxed build either way).
import v8 from 'node:v8';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { init } from '@recurrent/core';
import { moduleVariant, registerWasmFixes, setModuleGemmEnabled, unregisterWasmFixes } from '@recurrent/core/tuning';
import { baselineGenerator, baselineTrainer } from './baseline';
import { MemoryTracker, machineInfo, matmulPeakGflops, median, threadDeltas, threadTimes, timeRuns, type MemoryPeak } from './measure';
import { isPeakWorker, matmulPeakThreads, parallelTrainer, runPeakWorker, type ParallelMeasured } from './data-parallel';
import { apiGenerator, apiTrainer } from './recurrent-api';
import { directGenerator, directTrainer } from './recurrent-direct';
import { allSpecs, flopsPerToken, tokensPerRun, type Runner, type Spec } from './workloads';

interface Args {
  json: string | null;
  only: string[] | null;
  runs: number;
  warmup: number;
  baseline: boolean;
  variants: boolean;
  threads: number;
  relaxedSimd: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { json: null, only: null, runs: 3, warmup: 1, baseline: true, variants: true, threads: availableParallelism(), relaxedSimd: true };
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
    else if (arg === '--threads') a.threads = Number(value());
    else if (arg === '--no-relaxed-simd') a.relaxedSimd = false;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: bench [--json FILE] [--only NAME,...] [--runs N] [--warmup N] [--no-baseline] [--no-variants] [--threads N] [--no-relaxed-simd]');
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${arg}`);
  }
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error('bench: --runs must be a positive integer');
  if (!Number.isInteger(a.threads) || a.threads < 1) throw new Error('bench: --threads must be a positive integer');
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

/** A generation run is 500 tokens (tens of ms): more warm-up and more runs than training gets. */
const GENERATE_WARMUP = 5;
const GENERATE_RUNS = 9;

async function measure(spec: Spec, make: () => Runner, args: Args, runs = args.runs): Promise<Measured> {
  let runner: Runner | null = null;
  try {
    runner = make();
    const memory = new MemoryTracker();
    const generate = spec.kind === 'generate';
    const t = await timeRuns(() => runner!.run(), generate ? Math.max(args.warmup, GENERATE_WARMUP) : args.warmup, generate ? Math.max(runs, GENERATE_RUNS) : runs, memory);
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

/**
 * `runner` with its tensor products (tf.matMul: the head, the weight gradients) on XNNPACK instead
 * of our GEMM, the same-run "before" of it; the sequence ops' per-step products stay in our module.
 */
function withoutOwnGemm(runner: Runner): Runner {
  return {
    async run() {
      setModuleGemmEnabled(false);
      try {
        await runner.run();
      } finally {
        setModuleGemmEnabled(true);
      }
    },
    dispose: () => runner.dispose(),
  };
}

function pct(v: number | null): string {
  return v === null ? '-' : `${(v * 100).toFixed(0)}%`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // Node 22+ has relaxed SIMD on; Node 20 needs V8's flag. Process-wide, so the worker threads
  // started later compile the relaxed build too.
  if (args.relaxedSimd && Number(process.versions.node.split('.')[0]) < 22) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const started = performance.now();
  const backend = { ...(await init()), kernels: moduleVariant() };
  setModuleGemmEnabled(false);
  const xnnpackPeak = (await matmulPeakGflops()).wall;
  setModuleGemmEnabled(true);
  console.log(`[1024]^3 matmul through tfjs-backend-wasm's XNNPACK: ${xnnpackPeak.toFixed(1)} GFLOP/s (the rates below are ours: every product goes through our GEMM)`);
  const machinePeaks = await matmulPeakGflops();
  const machinePeakN = args.threads > 1 ? await matmulPeakThreads(args.threads, new URL(import.meta.url)) : null;
  let peaks = machinePeaks;
  let peak = peaks.wall;
  let peakN = machinePeakN;
  console.log(
    `backend ${JSON.stringify(backend)}; [1024]^3 matmul: ${peak.toFixed(1)} GFLOP/s wall, ${peaks.cpu.toFixed(1)} per CPU second${peakN === null ? '' : `; ${args.threads} threads at once: ${peakN.toFixed(1)} GFLOP/s (${(peakN / peak).toFixed(2)}x)`}`,
  );
  const specs = allSpecs.filter((s) => !args.only || args.only.some((o) => s.name.includes(o)));
  const workloads: Record<string, unknown>[] = [];
  for (const [i, spec] of specs.entries()) {
    if (i > 0) {
      // This VM's speed drifts (two consecutive runs measured [1024]^3 at 11.6 and 29.4 GFLOP/s):
      // each workload's efficiency is against peaks measured right before it.
      peaks = await matmulPeakGflops();
      peak = peaks.wall;
      peakN = args.threads > 1 && spec.kind === 'train' ? await matmulPeakThreads(args.threads, new URL(import.meta.url)) : peakN;
      console.log(`  peaks before ${spec.name}: ${peak.toFixed(1)} GFLOP/s${spec.kind === 'train' && peakN !== null ? `, ${args.threads} threads ${peakN.toFixed(1)}` : ''}`);
    }
    const isTrain = spec.kind === 'train';
    const recurrent = await measure(spec, () => (isTrain ? apiTrainer(spec) : apiGenerator(spec)), args);
    const variants: Record<string, Measured> = {};
    if (args.variants) {
      variants.coreOpsFused = await measure(spec, () => (isTrain ? directTrainer(spec, 'fused') : directGenerator(spec)), args);
      if (isTrain && spec.input === 'one-hot') variants.layersOneHotMatmul = await measure(spec, () => apiTrainer(spec, undefined, 'one-hot-matmul'), args);
      if (!isTrain) variants.layersStep = await measure(spec, () => apiGenerator(spec, 'step'), args);
      if (!isTrain) variants.layersTensorStep = await measure(spec, () => apiGenerator(spec, 'tensor-step'), args);
      if (isTrain) variants.layersXnnpackGemm = await measure(spec, () => withoutOwnGemm(apiTrainer(spec)), args);
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
    let parallel: ParallelMeasured | null = null;
    let parallelError: string | null = null;
    const interleaved: { wall: number; cpu: number; onCpu: number | null; queued: number | null }[] = [];
    if (isTrain && args.threads > 1) {
      try {
        // One-thread runs interleaved with the parallel epochs (same load), for the same-run speedup.
        const stepsPerRun = spec.hidden >= 512 ? 1 : 8;
        const runner = apiTrainer(spec);
        try {
          parallel = await parallelTrainer(spec, { workers: args.threads, warmup: args.warmup, runs: Math.max(args.runs, 3), stepsPerRun }, async (_epoch, timed) => {
            const th0 = threadTimes();
            const t = await timeRuns(() => runner.run(), 0, stepsPerRun);
            const main = threadDeltas(th0, threadTimes()).find((d) => d.tid === String(process.pid));
            if (timed) interleaved.push({ wall: t.runs.reduce((a, b) => a + b, 0), cpu: t.medianCpu * stepsPerRun, onCpu: main?.cpu ?? null, queued: main?.queued ?? null });
          });
        } finally {
          runner.dispose();
        }
      } catch (error) {
        parallelError = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 160);
      }
    }
    const tokensPerPair = tokensPerRun(spec) * (parallel?.stepsPerRun ?? 1);
    const interleavedTps = interleaved.length ? tokensPerPair / median(interleaved.map((p) => p.wall)) : null;
    const interleavedCpuTps = interleaved.length ? tokensPerPair / median(interleaved.map((p) => p.cpu)) : null;
    const singleOnCpu = interleaved.every((p) => p.onCpu !== null) && interleaved.length ? median(interleaved.map((p) => p.onCpu!)) / (parallel?.stepsPerRun ?? 1) : null;
    const singleQueued = interleaved.every((p) => p.queued !== null) && interleaved.length ? median(interleaved.map((p) => p.queued!)) / (parallel?.stepsPerRun ?? 1) : null;
    const flops = flopsPerToken(spec);
    const single = recurrent.tokensPerSec;
    // The headline: the parallel run against the peak of as many threads, else the one-thread run.
    const r = parallel ? parallel.tokensPerSec : single;
    const headlinePeak = parallel && peakN !== null ? peakN : peak;
    const headlineCpu = parallel ? parallel.tokensPerCpuSec : recurrent.tokensPerCpuSec;
    const b = baseline.tokensPerSec;
    const eff = (tps: number | null, gflops: number): number | null => (tps === null ? null : Number(((flops * tps) / (gflops * 1e9)).toFixed(3)));
    const entry = {
      name: spec.name,
      recurrentTokensPerSec: r === null ? null : Math.round(r),
      baselineTokensPerSec: b === null ? null : Math.round(b),
      baselineStatus: b === null ? (args.baseline ? `fails: ${baseline.error}` : 'not run') : 'ok',
      ratio: r !== null && b !== null ? Number((r / b).toFixed(2)) : null,
      matmulPeakGflops: Number(headlinePeak.toFixed(2)),
      flopsPerToken: flops,
      efficiency: eff(r, headlinePeak),
      threads: parallel ? parallel.workers : 1,
      recurrentStatus: r === null ? `fails: ${recurrent.error}` : 'ok',
      ...(isTrain
        ? {
            singleThread: {
              tokensPerSec: single === null ? null : Math.round(single),
              ratio: single !== null && b !== null ? Number((single / b).toFixed(2)) : null,
              matmulPeakGflops: Number(peak.toFixed(2)),
              efficiency: eff(single, peak),
              tokensPerCpuSec: recurrent.tokensPerCpuSec === undefined ? null : Math.round(recurrent.tokensPerCpuSec),
            },
            dataParallel: parallel
              ? {
                  workers: parallel.workers,
                  // Against one-thread runs interleaved with the parallel epochs (same load).
                  interleavedSingleTokensPerSec: Math.round(interleavedTps!),
                  speedupOverSingleThread: Number((parallel.tokensPerSec / interleavedTps!).toFixed(2)),
                  // Tokens per CPU second of all threads over the one-thread run's: 1 = no CPU spent on parallelism.
                  cpuCostRatio: Number((parallel.tokensPerCpuSec / interleavedCpuTps!).toFixed(2)),
                  tokensPerCpuSec: Math.round(parallel.tokensPerCpuSec),
                  stepsPerRun: parallel.stepsPerRun,
                  // Idle-machine estimate from on-CPU time per step (Linux schedstat): the busiest
                  // worker thread's against the one-thread run's main thread, same run.
                  onCpu:
                    parallel.workerOnCpuMsPerStep !== null && singleOnCpu !== null
                      ? {
                          workerMsPerStep: parallel.workerOnCpuMsPerStep,
                          workerQueuedMsPerStep: parallel.workerQueuedMsPerStep,
                          singleMsPerStep: Number(singleOnCpu.toFixed(2)),
                          singleQueuedMsPerStep: singleQueued === null ? null : Number(singleQueued.toFixed(2)),
                          parallelTokensPerSec: Math.round(tokensPerRun(spec) / (parallel.workerOnCpuMsPerStep / 1000)),
                          singleTokensPerSec: Math.round(tokensPerRun(spec) / (singleOnCpu / 1000)),
                          speedup: Number((singleOnCpu / parallel.workerOnCpuMsPerStep).toFixed(2)),
                        }
                      : null,
                  perStepMs: parallel.perStepMs,
                  rssMB: parallel.rssMB,
                  seconds: parallel.seconds,
                }
              : { error: parallelError ?? 'not run (--threads 1)' },
          }
        : {}),
      cpuTime: {
        recurrentTokensPerCpuSec: headlineCpu === undefined ? null : Math.round(headlineCpu),
        baselineTokensPerCpuSec: baseline.tokensPerCpuSec === undefined ? null : Math.round(baseline.tokensPerCpuSec),
        ratio: headlineCpu !== undefined && baseline.tokensPerCpuSec !== undefined ? Number((headlineCpu / baseline.tokensPerCpuSec).toFixed(2)) : null,
        matmulPeakGflops: Number(peaks.cpu.toFixed(2)),
        efficiency: headlineCpu === undefined ? null : eff(headlineCpu, peaks.cpu),
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
      `${spec.name.padEnd(26)} recurrent ${fmt(r).padStart(8)} tok/s${parallel ? ` (${parallel.workers} threads, ${(parallel.tokensPerSec / interleavedTps!).toFixed(2)}x the interleaved 1-thread ${fmt(interleavedTps)}${parallel.workerOnCpuMsPerStep !== null && singleOnCpu !== null ? `, on-CPU ${(singleOnCpu / parallel.workerOnCpuMsPerStep).toFixed(2)}x` : ''}; 1 thread alone ${fmt(single)}, eff ${pct(eff(single, peak))})` : ''}  baseline ${(b === null && args.baseline ? 'fails' : fmt(b)).padStart(8)}  ratio ${entry.ratio === null ? '-' : entry.ratio.toFixed(1) + 'x'}  efficiency ${pct(entry.efficiency)} | per CPU s: ${fmt(entry.cpuTime.recurrentTokensPerCpuSec)} vs ${fmt(entry.cpuTime.baselineTokensPerCpuSec)} (${entry.cpuTime.ratio ?? '-'}x, eff ${pct(entry.cpuTime.efficiency)})${variantText ? `  [${variantText}]` : ''}${r === null ? `  (${recurrent.error})` : ''}${b === null && args.baseline ? `  (baseline: ${baseline.error})` : ''}`,
    );
  }
  const result = {
    machine: {
      ...machineInfo(backend),
      matmulPeakGflops: Number(machinePeaks.wall.toFixed(2)),
      matmulPeakGflopsPerCpuSecond: Number(machinePeaks.cpu.toFixed(2)),
      xnnpackMatmulPeakGflops: Number(xnnpackPeak.toFixed(2)),
      threads: args.threads,
      matmulPeakGflopsAllThreads: machinePeakN === null ? null : Number(machinePeakN.toFixed(2)),
      totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    },
    workloads,
  };
  console.log(`total ${result.machine.totalSeconds} s`);
  if (args.json) {
    writeFileSync(args.json, JSON.stringify(result, null, 2) + '\n');
    console.log(`wrote ${args.json}`);
  }
}

// The matmul-peak threads run this same bundle.
if (isPeakWorker()) void runPeakWorker();
else
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
