// Single recurrent steps for generation (no gradient), on plain arrays: a layer's weights packed
// once, then one step per call. On our module the weights stay resident in its memory
// (module/resident.ts: the same GEMM and forward steps as training); on the composed route a step
// is the composed cell (composed-cells.ts) on tensors made from the arrays.
import { tf, type Tensor } from '../runtime/tf';
import { InvalidArgumentError, ShapeError } from '../errors';
import { checkOneOf, checkRank, checkTokenRange } from '../validate';
import type { ModuleMemory } from '../module/memory';
import { ResidentCell } from '../module/resident';
import { moduleRoute } from '../module/route';
import {
  checkBias,
  gruCellStep,
  lstmCellStep,
  rnnCellStep,
  type LstmStepResult,
  type RnnNonlinearity,
} from './composed-cells';

export type StepKind = 'lstm' | 'gru' | 'rnn';

/** The input of `PackedStepWeights.stepValues`: vectors x [B, I], or token ids [B] standing for one-hot vectors. */
export type StepValuesInput = { x: Float32Array } | { ids: ArrayLike<number> };

/** New states of `stepValues`: h (and c for LSTM) [B, H] as plain arrays. */
export interface StepValuesResult {
  h: Float32Array;
  c: Float32Array | null;
}

/** Where `stepValues` may write the new states instead of allocating (they may be the input arrays). */
export type StepValuesOutput = StepValuesResult;

/** Where an op's work runs: our WebAssembly module, or composed of tfjs ops (core's README has the table). */
export type Route = 'module' | 'composed';

/**
 * Weights of one recurrent layer prepared for single steps; the caller keeps it across steps and
 * disposes it (or re-packs after the weights change: it holds a snapshot of them).
 */
export interface PackedStepWeights {
  readonly kind: StepKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly nonlinearity: RnnNonlinearity;
  /** Where its steps run, decided when it was packed. */
  readonly route: Route;
  /**
   * One step on plain arrays, without tensors in or out (generation's fast path). `input` is
   * x [B, I] or, for a one-hot input, token ids [B] (integers in [0, I)): the input projection
   * is then row `id` of wIhᵀ (a lookup). h, c [B, H] (c for LSTM only, else null). The new
   * states go to `out` when given (its arrays may be h and c themselves), else to new arrays.
   */
  stepValues(
    input: StepValuesInput,
    h: Float32Array,
    c: Float32Array | null,
    batch: number,
    out?: StepValuesOutput,
  ): StepValuesResult;
  dispose(): void;
}

const gatesOf: Record<StepKind, number> = { lstm: 4, gru: 3, rnn: 1 };

/** `build` on the module's memory, or null where its route is off or the memory cannot grow. */
function onModule<T>(build: (mem: ModuleMemory) => T): T | null {
  const mem = moduleRoute();
  if (!mem) return null;
  try {
    return build(mem);
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

/** Packs PyTorch-layout weights (wIh [G*H, I], wHh [G*H, H], biases [G*H] or null) for `lstmStep`/`gruStep`/`rnnStep`. */
export function packStepWeights(
  kind: StepKind,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: { nonlinearity?: RnnNonlinearity } = {},
): PackedStepWeights {
  const fn = 'packStepWeights';
  checkOneOf(fn, 'kind', kind, ['lstm', 'gru', 'rnn'] as const);
  const nonlinearity = checkOneOf(fn, 'options.nonlinearity', options.nonlinearity ?? 'tanh', [
    'tanh',
    'relu',
  ] as const);
  checkRank(fn, 'wIh', wIh, 2);
  checkRank(fn, 'wHh', wHh, 2);
  const G = gatesOf[kind];
  const H = wHh.shape[1]!;
  const I = wIh.shape[1]!;
  if (wHh.shape[0] !== G * H)
    throw new ShapeError({
      fn,
      argument: 'wHh',
      expected: `of shape [${G}*H, H]`,
      received: [...wHh.shape],
    });
  if (wIh.shape[0] !== G * H)
    throw new ShapeError({
      fn,
      argument: 'wIh',
      expected: `of shape [${G * H}, I]`,
      received: [...wIh.shape],
    });
  checkBias(fn, 'bIh', bIh, G * H);
  checkBias(fn, 'bHh', bHh, G * H);
  const values = (t: Tensor | null): Float32Array | null =>
    t ? (t.dataSync() as Float32Array).slice() : null;
  const resident = onModule(
    (mem) =>
      new ResidentCell(
        mem,
        kind,
        I,
        H,
        nonlinearity === 'relu',
        values(wIh)!,
        values(wHh)!,
        values(bIh),
        values(bHh),
      ),
  );
  const { step, dispose } = resident
    ? residentStep(resident, kind)
    : composedStep(kind, I, H, nonlinearity, wIh, wHh, bIh, bHh);
  return {
    kind,
    inputSize: I,
    hiddenSize: H,
    nonlinearity,
    route: resident ? 'module' : 'composed',
    stepValues(input, h, c, batch, out) {
      if ('ids' in input)
        checkTokenRange('PackedStepWeights.stepValues', 'ids', input.ids, batch, I);
      return step(
        input,
        h,
        c,
        batch,
        out ?? {
          h: new Float32Array(batch * H),
          c: kind === 'lstm' ? new Float32Array(batch * H) : null,
        },
      );
    },
    dispose,
  };
}

/** One step of a route: the new states into `out` (whose arrays may be h and c). */
type Step = (
  input: StepValuesInput,
  h: Float32Array,
  c: Float32Array | null,
  B: number,
  out: StepValuesOutput,
) => StepValuesResult;

/** The module's route: the weights resident in its memory. */
function residentStep(resident: ResidentCell, kind: StepKind): { step: Step; dispose: () => void } {
  return {
    step(input, h, c, B, out) {
      resident.step(
        'ids' in input ? input.ids : null,
        'x' in input ? input.x : null,
        h,
        c,
        B,
        out.h,
        kind === 'lstm' ? out.c : null,
      );
      return out;
    },
    dispose: () => resident.dispose(),
  };
}

/** The composed route: the cell steps on tensors made from the arrays, with a snapshot of the weights. */
function composedStep(
  kind: StepKind,
  I: number,
  H: number,
  nonlinearity: RnnNonlinearity,
  ...weights: (Tensor | null)[]
): { step: Step; dispose: () => void } {
  const [wi, wh, bi, bh] = weights.map((t) => (t ? tf.keep(tf.clone(t)) : null)) as [
    Tensor,
    Tensor,
    Tensor | null,
    Tensor | null,
  ];
  return {
    step(input, h, c, B, out) {
      const next = tf.tidy(() => {
        const x =
          'ids' in input
            ? tf.oneHot(
                tf.tensor1d(
                  Array.from({ length: B }, (_, b) => input.ids[b]!),
                  'int32',
                ),
                I,
                1,
                0,
                'float32',
              )
            : tf.tensor(input.x.subarray(0, B * I), [B, I], 'float32');
        const hT = tf.tensor(h.subarray(0, B * H), [B, H], 'float32');
        if (kind === 'lstm') {
          const r = lstmCellStep(
            x,
            hT,
            tf.tensor(c!.subarray(0, B * H), [B, H], 'float32'),
            wi,
            wh,
            bi,
            bh,
          );
          return [r.h, r.c];
        }
        return [
          kind === 'gru'
            ? gruCellStep(x, hT, wi, wh, bi, bh)
            : rnnCellStep(x, hT, wi, wh, bi, bh, nonlinearity),
        ];
      });
      out.h.set(next[0]!.dataSync());
      if (out.c && next[1]) out.c.set(next[1].dataSync());
      tf.dispose(next);
      return out;
    },
    dispose: () => tf.dispose([wi, wh, bi, bh].filter((t): t is Tensor => t !== null)),
  };
}

function checkStep(
  fn: string,
  kind: StepKind,
  x: Tensor,
  h: Tensor,
  packed: PackedStepWeights,
): number {
  if (packed.kind !== kind) {
    throw new InvalidArgumentError({
      fn,
      argument: 'packed',
      expected: `weights packed for '${kind}'`,
      received: `weights packed for '${packed.kind}'`,
    });
  }
  const I = packed.inputSize;
  const H = packed.hiddenSize;
  checkRank(fn, 'x', x, 2);
  const B = x.shape[0]!;
  if (x.shape[1] !== I)
    throw new ShapeError({
      fn,
      argument: 'x',
      expected: `of shape [B, ${I}]`,
      received: [...x.shape],
    });
  if (h.shape.length !== 2 || h.shape[0] !== B || h.shape[1] !== H) {
    throw new ShapeError({
      fn,
      argument: 'h',
      expected: `of shape [${B}, ${H}]`,
      received: [...h.shape],
    });
  }
  return B;
}

const valuesOf = (t: Tensor): Float32Array => t.dataSync() as Float32Array;

/** One LSTM step without gradient, for generation: x [B, I], h and c [B, H] -> new { h, c }. */
export function lstmStep(
  x: Tensor,
  h: Tensor,
  c: Tensor,
  packed: PackedStepWeights,
): LstmStepResult {
  const H = packed.hiddenSize;
  if (c.shape.length !== 2 || c.shape[0] !== h.shape[0] || c.shape[1] !== H) {
    throw new ShapeError({
      fn: 'lstmStep',
      argument: 'c',
      expected: `of the shape of h`,
      received: [...c.shape],
    });
  }
  const B = checkStep('lstmStep', 'lstm', x, h, packed);
  const r = packed.stepValues({ x: valuesOf(x) }, valuesOf(h), valuesOf(c), B);
  return { h: tf.tensor(r.h, [B, H], 'float32'), c: tf.tensor(r.c!, [B, H], 'float32') };
}

/** One GRU step without gradient, for generation: x [B, I], h [B, H] -> h' [B, H]. */
export function gruStep(x: Tensor, h: Tensor, packed: PackedStepWeights): Tensor {
  const B = checkStep('gruStep', 'gru', x, h, packed);
  return tf.tensor(
    packed.stepValues({ x: valuesOf(x) }, valuesOf(h), null, B).h,
    [B, packed.hiddenSize],
    'float32',
  );
}

/** One plain RNN step without gradient, for generation: x [B, I], h [B, H] -> h' [B, H]. */
export function rnnStep(x: Tensor, h: Tensor, packed: PackedStepWeights): Tensor {
  const B = checkStep('rnnStep', 'rnn', x, h, packed);
  return tf.tensor(
    packed.stepValues({ x: valuesOf(x) }, valuesOf(h), null, B).h,
    [B, packed.hiddenSize],
    'float32',
  );
}
