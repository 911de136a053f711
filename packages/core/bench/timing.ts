// Small timing helpers shared by the benchmark scripts (not part of the package's API).

/** Median of the times (ms) of `runs` calls of `fn`, after `warmup` untimed calls. */
export async function medianMs(fn: () => void | Promise<void>, runs: number, warmup = 3): Promise<number> {
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
export async function medianMsBudget(fn: () => void | Promise<void>, budgetMs = 1500): Promise<number> {
  await fn(); // warm up (XNNPACK packs weights, the JIT compiles)
  const t0 = performance.now();
  await fn();
  const probe = performance.now() - t0;
  const runs = Math.max(3, Math.min(50, Math.floor(budgetMs / Math.max(probe, 1e-3))));
  return medianMs(fn, runs, 0);
}
