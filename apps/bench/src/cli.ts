// `pnpm bench [--json FILE] [--only NAME,...] [--runs N] [--warmup N] [--threads 1,2,...]
//   [--no-baseline] [--no-variants] [--no-data-parallel] [--no-relaxed-simd]`:
// the workloads of ARCHITECTURE.md for Recurrent and for the tfjs-layers baseline, in one process
// on the same WASM backend. Honest by construction:
// - every ratio compares equal thread counts: tfjs-layers runs on one thread (tfjs-backend-wasm
//   has no threads in Node), so it is compared with Recurrent on one thread (`init({ threads: 1 })`);
// - the sides of a comparison are timed interleaved (A B A B, each round starting one later),
//   after the same warm-up, so a drifting machine moves them together;
// - FLOPs count the work done (a one-hot input's projection is a lookup in Recurrent);
// - tfjs-layers is measured twice: stock (what users get today) and with our kernels registered
//   (registerWasmFixes: the same products on our GEMM);
// - every figure is the median of the timed runs, with their range.
// `--threads 1,2,…` measures our pool at each count in the same process (the [1024]^3 product
// and each workload, interleaved): the JSON's `threadScaling`. With more than one count, the
// training workloads also run data-parallel (`DataParallelTrainer`, as many workers as the
// largest count, one thread each), interleaved with the pool at that count.
// Relaxed SIMD is on by default (Node 22+ and Chrome 114+ ship it; on Node 20 the bench turns on
// V8's flag before our module is compiled); `--no-relaxed-simd` measures the plain SIMD build.
import v8 from 'node:v8';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { init, tf } from '@recurrent/core';
import { moduleVariant, registerWasmFixes, setModuleGemmEnabled, unregisterWasmFixes } from '@recurrent/core/tuning';
import { baselineGenerator, baselineTrainer } from './baseline';
import { interleave, machineInfo, median, othersLoad, spread, timeRuns, type Spread, type Subject, type SubjectResult } from './measure';
import { parallelTrainer, type ParallelMeasured } from './data-parallel';
import { apiGenerator, apiTrainer } from './recurrent-api';
import { directGenerator, directTrainer } from './recurrent-direct';
import { allSpecs, flopsPerToken, tokensPerRun, type Runner } from './workloads';

interface Args {
  json: string | null;
  only: string[] | null;
  runs: number;
  warmup: number;
  threads: number[];
  baseline: boolean;
  variants: boolean;
  dataParallel: boolean;
  relaxedSimd: boolean;
}

const USAGE =
  'usage: bench [--json FILE] [--only NAME,...] [--runs N] [--warmup N] [--threads 1,2,...] [--no-baseline] [--no-variants] [--no-data-parallel] [--no-relaxed-simd]';

function parseArgs(argv: string[]): Args {
  const cores = Math.min(8, availableParallelism());
  const a: Args = { json: null, only: null, runs: 5, warmup: 2, threads: [...new Set([1, cores])], baseline: true, variants: true, dataParallel: true, relaxedSimd: true };
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
    else if (arg === '--threads') a.threads = value().split(',').map(Number);
    else if (arg === '--no-baseline') a.baseline = false;
    else if (arg === '--no-variants') a.variants = false;
    else if (arg === '--no-data-parallel') a.dataParallel = false;
    else if (arg === '--no-relaxed-simd') a.relaxedSimd = false;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${arg}\n${USAGE}`);
  }
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error('bench: --runs must be a positive integer');
  if (!Number.isInteger(a.warmup) || a.warmup < 0) throw new Error('bench: --warmup must be a non-negative integer');
  if (!a.threads.length || a.threads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error('bench: --threads must be a comma-separated list of positive integers, e.g. 1,2,4');
  a.threads = [...new Set(a.threads)].sort((x, y) => x - y);
  return a;
}

/** A generation run is 500 tokens (tens of ms): more warm-up and more runs than training gets. */
const GENERATE_WARMUP = 5;
const GENERATE_RUNS = 15;

function fmt(v: number | null | undefined, digits = 0): string {
  return v === null || v === undefined ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function round(s: Spread, digits = 0): Spread {
  const f = (x: number) => Number(x.toFixed(digits));
  return { median: f(s.median), min: f(s.min), max: f(s.max) };
}

/** Tokens/s of a subject's runs (median and range), or null when it failed. */
function rate(r: SubjectResult | undefined, tokens: number): Spread | null {
  if (!r || r.error || !r.seconds.length) return null;
  return round(spread(r.seconds.map((s) => tokens / s)));
}

/**
 * `runner` with its tensor products (tf.matMul: the head, the weight gradients) on XNNPACK instead
 * of our GEMM, the same-run "before" of it; the sequence ops' products stay in our module.
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

/** Our pool at `threads` threads with our kernels registered (Recurrent as users run it). */
const onThreads = (threads: number) => async () => {
  await init({ threads });
  registerWasmFixes();
};

/** tfjs's stock wasm kernels (the baseline as users get it today), one thread. */
const stockKernels = async () => {
  await init({ threads: 1 });
  unregisterWasmFixes();
};

/** [1024]^3 products at each thread count, interleaved: GFLOP/s, median and range. */
async function matmulScaling(threads: number[], runs: number, warmup: number): Promise<Record<string, Spread>> {
  const n = 1024;
  const subjects: Subject[] = threads.map((t) => ({
    key: String(t),
    enter: onThreads(t),
    make() {
      const a = tf.randomUniform([n, n]);
      const b = tf.randomUniform([n, n]);
      return {
        run() {
          const c = tf.matMul(a, b);
          c.dataSync();
          c.dispose();
        },
        dispose: () => tf.dispose([a, b]),
      };
    },
  }));
  const r = await interleave(subjects, Math.max(warmup, 2), Math.min(Math.max(runs, 5), 9));
  return Object.fromEntries(threads.map((t) => [String(t), round(spread(r[String(t)]!.seconds.map((s) => (2 * n ** 3) / s / 1e9)), 1)]));
}

/** The [1024]^3 product through XNNPACK (our GEMM off), one thread: the yardstick our GEMM replaced. */
async function xnnpackPeak(): Promise<number> {
  await onThreads(1)();
  setModuleGemmEnabled(false);
  try {
    const a = tf.randomUniform([1024, 1024]);
    const b = tf.randomUniform([1024, 1024]);
    const t = await timeRuns(() => tf.matMul(a, b).dataSync(), 2, 5);
    tf.dispose([a, b]);
    return (2 * 1024 ** 3) / t.median / 1e9;
  } finally {
    setModuleGemmEnabled(true);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // Node 22+ has relaxed SIMD on; Node 20 needs V8's flag. Process-wide, so the worker threads
  // started later compile the relaxed build too.
  if (args.relaxedSimd && Number(process.versions.node.split('.')[0]) < 22) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const started = performance.now();
  const maxThreads = Math.max(...args.threads);
  const info = await init({ threads: maxThreads });
  if (info.threads !== maxThreads) throw new Error(`bench: asked for ${maxThreads} threads, got ${info.threads} (${info.threadsFallback?.message ?? 'no reason given'})`);
  const backend = { ...info, kernels: moduleVariant() };
  const xnnpack = await xnnpackPeak();
  console.log(`backend ${JSON.stringify(backend)}; [1024]^3 through XNNPACK, one thread: ${xnnpack.toFixed(1)} GFLOP/s`);
  const { value: matmul, othersCores: matmulOthers } = await othersLoad(() => matmulScaling(args.threads, args.runs, args.warmup));
  console.log(`[1024]^3 on our GEMM: ${args.threads.map((t) => `${t} thread${t > 1 ? 's' : ''} ${matmul[t]!.median} GFLOP/s (${matmul[t]!.min}–${matmul[t]!.max})`).join(', ')} | others' load ${matmulOthers ?? '-'} cores`);
  const specs = allSpecs.filter((s) => !args.only || args.only.some((o) => s.name.includes(o)));
  const workloads: Record<string, unknown>[] = [];
  const scaling: Record<string, Record<string, number | null>> = {};
  const dataParallel: Record<string, unknown> = {};
  const dataParallelBrief: Record<string, { workers: number; tokensPerSec: number } | { error: string | null }> = {};
  for (const spec of specs) {
    const isTrain = spec.kind === 'train';
    const tokens = tokensPerRun(spec);
    const subjects: Subject[] = args.threads.map((t) => ({ key: `recurrent@${t}`, enter: onThreads(t), make: () => (isTrain ? apiTrainer(spec) : apiGenerator(spec)) }));
    if (args.baseline) {
      const baseline = () => (isTrain ? baselineTrainer(spec) : baselineGenerator(spec));
      subjects.push({ key: 'tfjsLayers', enter: stockKernels, make: baseline });
      subjects.push({ key: 'tfjsLayersWithOurKernels', enter: onThreads(1), make: baseline });
    }
    if (args.variants) {
      subjects.push({ key: 'coreOpsFused', enter: onThreads(1), make: () => (isTrain ? directTrainer(spec, 'fused') : directGenerator(spec)) });
      if (isTrain) subjects.push({ key: 'layersXnnpackGemm', enter: onThreads(1), make: () => withoutOwnGemm(apiTrainer(spec)) });
      if (!isTrain) subjects.push({ key: 'layersStep', enter: onThreads(1), make: () => apiGenerator(spec, 'step') });
    }
    const generate = spec.kind === 'generate';
    // The word LM's models (2×LSTM 512, a 5000-word head) do not all fit in tfjs's heap at once.
    const fresh = isTrain && spec.hidden >= 512;
    const { value: results, othersCores } = await othersLoad(() => interleave(subjects, generate ? Math.max(args.warmup, GENERATE_WARMUP) : args.warmup, generate ? Math.max(args.runs, GENERATE_RUNS) : args.runs, fresh));
    const rates = Object.fromEntries(Object.entries(results).map(([k, r]) => [k, rate(r, tokens)]));
    const flops = flopsPerToken(spec);
    const one = rates['recurrent@1'] ?? null;
    const ratio = (a: Spread | null, b: Spread | null) => (a && b ? Number((a.median / b.median).toFixed(2)) : null);
    const perThreads = Object.fromEntries(
      args.threads.map((t) => {
        const r = rates[`recurrent@${t}`] ?? null;
        const res = results[`recurrent@${t}`]!;
        return [
          String(t),
          {
            tokensPerSec: r,
            speedupOverOneThread: t > 1 ? ratio(r, one) : null,
            efficiency: r ? Number(((flops * r.median) / (matmul[t]!.median * 1e9)).toFixed(3)) : null,
            tokensPerCpuSec: res.cpuSeconds.length ? Math.round(tokens / median(res.cpuSeconds)) : null,
            rssMB: Number((res.rssBytes / 2 ** 20).toFixed(0)),
            tensorGrowthAcrossRuns: res.tensorGrowth,
            ...(res.error ? { error: res.error } : {}),
          },
        ];
      }),
    );
    scaling[spec.name] = Object.fromEntries(args.threads.map((t) => [String(t), rates[`recurrent@${t}`]?.median ?? null]));

    let parallel: ParallelMeasured | null = null;
    let parallelError: string | null = null;
    const pooled: number[] = [];
    if (isTrain && args.dataParallel && maxThreads > 1) {
      try {
        // The pool at the same thread count, timed between the data-parallel epochs (same load).
        const stepsPerRun = spec.hidden >= 512 ? 1 : 8;
        await onThreads(maxThreads)();
        const runner = apiTrainer(spec);
        try {
          parallel = await parallelTrainer(spec, { workers: maxThreads, threadsPerWorker: 1, warmup: args.warmup, runs: Math.max(args.runs, 3), stepsPerRun }, async (_epoch, timed) => {
            const t = await timeRuns(() => runner.run(), 0, stepsPerRun);
            if (timed) pooled.push(t.runs.reduce((x, y) => x + y, 0));
          });
        } finally {
          runner.dispose();
        }
      } catch (error) {
        parallelError = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 160);
      }
      const pooledRate = pooled.length && parallel ? (tokens * parallel.stepsPerRun) / median(pooled) : null;
      dataParallelBrief[spec.name] = parallel ? { workers: parallel.workers, tokensPerSec: Math.round(parallel.tokensPerSec) } : { error: parallelError };
      dataParallel[spec.name] = parallel
        ? {
            workers: parallel.workers,
            threadsPerWorker: 1,
            tokensPerSec: Math.round(parallel.tokensPerSec),
            poolTokensPerSecInterleaved: pooledRate === null ? null : Math.round(pooledRate),
            poolOverDataParallel: pooledRate === null ? null : Number((pooledRate / parallel.tokensPerSec).toFixed(2)),
            tokensPerCpuSec: Math.round(parallel.tokensPerCpuSec),
            perStepMs: parallel.perStepMs,
            rssMB: parallel.rssMB,
            seconds: parallel.seconds,
          }
        : { error: parallelError };
    }

    const entry = {
      name: spec.name,
      // Cores' worth of CPU other processes used meanwhile (0: the machine was ours alone).
      othersLoadCores: othersCores,
      flopsPerToken: flops,
      baselineFlopsPerToken: flopsPerToken(spec, true),
      recurrent: perThreads,
      tfjsLayers: rates.tfjsLayers ?? (args.baseline ? { error: results.tfjsLayers?.error ?? 'failed' } : null),
      tfjsLayersWithOurKernels: rates.tfjsLayersWithOurKernels ?? (args.baseline ? { error: results.tfjsLayersWithOurKernels?.error ?? 'failed' } : null),
      // Equal thread counts: Recurrent on one thread against tfjs-layers on one thread.
      ratioOneThread: {
        vsTfjsLayers: ratio(one, rates.tfjsLayers ?? null),
        vsTfjsLayersWithOurKernels: ratio(one, rates.tfjsLayersWithOurKernels ?? null),
      },
      variants: args.variants ? Object.fromEntries(['coreOpsFused', 'layersXnnpackGemm', 'layersStep'].filter((k) => k in results).map((k) => [k, rates[k] ?? { error: results[k]!.error }])) : null,
      dataParallel: dataParallel[spec.name] ?? null,
      seconds: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.seconds.map((s) => Number(s.toFixed(4)))])),
    };
    workloads.push(entry);
    const line = [
      `${spec.name.padEnd(24)}`,
      args.threads.map((t) => `${t}T ${fmt(rates[`recurrent@${t}`]?.median)}${t > 1 ? ` (${perThreads[String(t)]!.speedupOverOneThread ?? '-'}x)` : ''}`).join('  '),
      args.baseline ? `| tfjs-layers ${fmt(rates.tfjsLayers?.median)} (1T ratio ${entry.ratioOneThread.vsTfjsLayers ?? '-'}x), with our kernels ${fmt(rates.tfjsLayersWithOurKernels?.median)} (${entry.ratioOneThread.vsTfjsLayersWithOurKernels ?? '-'}x)` : '',
      `| others' load ${othersCores ?? '-'} cores`,
      parallel ? `| data-parallel ${parallel.workers}x1 ${fmt(parallel.tokensPerSec)}, pool ${maxThreads}T between its epochs ${fmt((dataParallel[spec.name] as { poolTokensPerSecInterleaved: number | null }).poolTokensPerSecInterleaved)}` : parallelError ? `| data-parallel failed: ${parallelError}` : '',
    ].join(' ');
    console.log(line);
  }
  const result = {
    machine: { ...machineInfo(backend), threads: args.threads, xnnpackMatmulGflopsOneThread: Number(xnnpack.toFixed(2)), totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)) },
    threadScaling: {
      matmul: Object.fromEntries(Object.entries(matmul).map(([t, s]) => [t, s.median])),
      workloads: scaling,
      dataParallel: dataParallelBrief,
    },
    matmul: { ...matmul, othersLoadCores: matmulOthers },
    workloads,
  };
  console.log(`total ${result.machine.totalSeconds} s`);
  if (args.json) {
    writeFileSync(args.json, JSON.stringify(result, null, 2) + '\n');
    console.log(`wrote ${args.json}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
