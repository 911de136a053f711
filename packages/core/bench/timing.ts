// Small timing helpers shared by the benchmark scripts (not part of the package's API).

/** Median of the times (ms) of `runs` calls of `fn`, after `warmup` untimed calls. */
export async function medianMs(
  fn: () => void | Promise<void>,
  runs: number,
  warmup = 3,
): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 === 1 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}

export function fmt(x: number, digits = 2): string {
  return x.toFixed(digits).padStart(8);
}

/** Median over as many runs as fit in about `budgetMs` (3 to 50), judged by one timed probe. */
export async function medianMsBudget(
  fn: () => void | Promise<void>,
  budgetMs = 1500,
): Promise<number> {
  let t0 = performance.now();
  await fn(); // warm up (XNNPACK packs weights, the JIT compiles)
  const first = performance.now() - t0;
  if (first > budgetMs) return first; // one very slow call is measurement enough
  t0 = performance.now();
  await fn();
  const probe = performance.now() - t0;
  const runs = Math.max(3, Math.min(50, Math.floor(budgetMs / Math.max(probe, 1e-3))));
  return medianMs(fn, runs, 0);
}

export interface Comparison {
  /** Median ms of each variant. */
  median: number[];
  /** Fastest run of each variant (less sensitive to a loaded machine). */
  min: number[];
}

/**
 * Times several variants of a workload, interleaved in `rounds` so that a machine whose load
 * drifts treats them alike: before each variant's batch of `runs` timed calls, `setup(i)` switches
 * to it, and one untimed call warms it up.
 */
export async function compare(
  variants: number,
  setup: (i: number) => void,
  fn: () => void | Promise<void>,
  runs: number,
  rounds = 3,
): Promise<Comparison> {
  const samples: number[][] = Array.from({ length: variants }, () => []);
  for (let r = 0; r < rounds; r++) {
    for (let v = 0; v < variants; v++) {
      setup(v);
      await fn();
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await fn();
        samples[v]!.push(performance.now() - t0);
      }
    }
  }
  const median = samples.map((xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  });
  return { median, min: samples.map((xs) => Math.min(...xs)) };
}
