// Where work runs: the one place that decides (core's README has the table). There are two
// routes. Our module runs every op that has a kernel here, on any tfjs backend, wherever the
// module compiles (WebAssembly SIMD: every current browser and Node); otherwise, or switched
// off, the same ops run composed of tfjs ops (the reference the module's kernels are tested
// against). Tensor products (tf.matMul on the wasm backend) take our GEMM when the module's
// route is on and the product is large enough to pay for the copies, else XNNPACK. With threads
// (init's `threads`), a kernel's work is cut into chunks the threads share when it is large
// enough to pay for the hand-out (`threadChunks`); smaller work stays on the calling thread.
import { compiledVariant, type ModuleVariant } from './loader';
import { moduleMemory, type ModuleMemory } from './memory';

let moduleOn = true;
let gemmOn = true;

/** Products with fewer multiply-adds than this stay with XNNPACK (the copies would dominate). */
export const MIN_GEMM_WORK = 1 << 16;

/**
 * Multiply-adds a chunk of a kernel's work must have for cutting it to pay: below it the hand-out
 * and join (about 1 to 5 µs with the workers spinning, tens of µs to wake one) cost more than a
 * thread saves. Measured on the workloads' products (core's README, Threads).
 */
export const MIN_THREAD_WORK = 1 << 17;

let minThreadWork = MIN_THREAD_WORK;

/**
 * How many chunks a kernel of `work` multiply-adds is cut into for the pool's threads to share:
 * 1 (the calling thread alone) without threads or below twice the cutoff, else up to `perThread`
 * per thread, each at least the cutoff. More chunks than threads let the others take over the
 * share of a thread that is slow to start or was preempted.
 */
export function threadChunks(mem: ModuleMemory, work: number, perThread = 4): number {
  const t = mem.threads;
  if (t <= 1) return 1;
  return Math.max(1, Math.min(t * perThread, Math.floor(work / minThreadWork)));
}

/** Sets the split cutoff (default MIN_THREAD_WORK), for measurements of it; returns the previous one. */
export function setMinThreadWork(work: number): number {
  const old = minThreadWork;
  minThreadWork = Math.max(1, Math.floor(work));
  return old;
}

/**
 * Switches our module's route on (the default) or off: off, every op takes its composed route
 * and tensor products XNNPACK. Weights packed before the switch keep the route they were packed for.
 */
export function setModuleEnabled(on: boolean): void {
  moduleOn = on;
}

/** Whether new work runs on our module (switched on and usable here). */
export function moduleEnabled(): boolean {
  return moduleRoute() !== null;
}

/** The build of our module in use, or null where it is off or unusable. */
export function moduleVariant(): ModuleVariant | null {
  return moduleEnabled() ? compiledVariant() : null;
}

/** Switches our GEMM for tensor products on (the default) or off (XNNPACK), for A/B measurements. */
export function setModuleGemmEnabled(on: boolean): void {
  gemmOn = on;
}

/** The module's memory when work runs there, else null: take the composed route. */
export function moduleRoute(): ModuleMemory | null {
  return moduleOn ? moduleMemory() : null;
}

/** The module's memory when a tensor product of `work` multiply-adds runs on our GEMM, else null (XNNPACK). */
export function gemmRoute(work: number): ModuleMemory | null {
  return gemmOn && work >= MIN_GEMM_WORK ? moduleRoute() : null;
}
