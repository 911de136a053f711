import type { Parameter } from '../module/parameter';

/**
 * Something derived from parameters for eval-mode fast paths (weights packed for the fused
 * steps, a transposed head weight), rebuilt whenever one of the parameters' data changed: an
 * assign gives a variable a new data id, so comparing data ids catches optimizer steps and
 * `loadStateDict`. Owns what it builds (`free` disposes it).
 */
export class DerivedCache<T> {
  private entry: { from: unknown[]; value: T } | null = null;

  constructor(
    private readonly build: () => T,
    private readonly free: (value: T) => void,
  ) {}

  /** The value for the parameters' current data (rebuilt if any of them changed). */
  get(params: readonly Parameter[]): T {
    const from = params.map((p) => p.variable.dataId as unknown);
    const e = this.entry;
    if (e && e.from.length === from.length && e.from.every((d, i) => d === from[i])) return e.value;
    this.dispose();
    const value = this.build();
    this.entry = { from, value };
    return value;
  }

  /** Frees the cached value (the next `get` rebuilds it). */
  dispose(): void {
    if (this.entry) this.free(this.entry.value);
    this.entry = null;
  }
}
