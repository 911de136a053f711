/** One golden case as written by PyTorch (schema: fixtures/README.md). */
export interface FixtureTensor {
  shape: number[];
  data: number[];
}

export interface TorchCase {
  kind: string;
  torch_version?: string;
  config: Record<string, unknown>;
  params: Record<string, FixtureTensor>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  loss: string | null;
  grads: Record<string, FixtureTensor>;
}

/** What a kind's runner computed for one case: every output and gradient, by the fixture's key. */
export interface CaseComputation {
  /** Keyed as in `outputs` (e.g. `output`, `h_n`, `state.p0.exp_avg`). */
  outputs: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>;
  /** Keyed as in `grads` (e.g. `params.weight_ih_l0`, `inputs.x`). */
  grads: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>;
}

/** Runs one case through Recurrent. Must not leak tensors. */
export type KindRunner = (c: TorchCase) => Promise<CaseComputation> | CaseComputation;
