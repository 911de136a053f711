// Reference whole-sequence ops composed of the per-step cell math: tfjs autograd differentiates
// them. The fused ops (lstmSequence, gruSequence, rnnSequence) are tested against these.
import { tf, type Tensor } from '../backend/tf';
import { gruCellStepProjected, lstmCellStepProjected, projectInput, rnnCellStepProjected, type RnnNonlinearity } from './cell-step';
import { checkSequenceArgs, type SequenceOptions } from './sequence-args';
import type { LstmSequenceResult } from './lstm-sequence';

/** Output sequence and final hidden state of a GRU or plain RNN sequence op. */
export type SequenceResult = {
  output: Tensor; // [T, B, H]
  h: Tensor; // [B, H]
};

/** Splits [T, B, N] into T × [B, N] (tfjs's unstack gradient breaks for T = 1, so reshape then). */
function timeSteps(xp: Tensor): Tensor[] {
  return xp.shape[0] === 1 ? [tf.reshape(xp, xp.shape.slice(1))] : tf.unstack(xp);
}

/**
 * The loop every composed reference shares: the input projections of all steps at once, then
 * `step` from `state0` over time (backwards with `reverse`), `output[t]` being h after x[t].
 */
function runSteps<S extends { h: Tensor }>(
  x: Tensor,
  wIh: Tensor,
  bIh: Tensor | null,
  T: number,
  reverse: boolean,
  state0: S,
  step: (xt: Tensor, s: S) => S,
): S & { output: Tensor } {
  return tf.tidy(() => {
    const xp = timeSteps(projectInput(x, wIh, bIh)); // T × [B, G*H]
    const outs: Tensor[] = new Array<Tensor>(T);
    let state = state0;
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      state = step(xp[t]!, state);
      outs[t] = state.h;
    }
    return { ...state, output: tf.stack(outs) } as never;
  });
}

/** Composed reference of `lstmSequence` (same arguments and results). */
export function lstmSequenceComposed(
  x: Tensor,
  h0: Tensor,
  c0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: SequenceOptions = {},
): LstmSequenceResult {
  const { T } = checkSequenceArgs('lstmSequenceComposed', 4, x, h0, c0, wIh, wHh, bIh, bHh);
  const { output, h, c } = runSteps(
    x,
    wIh,
    bIh,
    T,
    options.reverse ?? false,
    { h: h0, c: c0 },
    (xt, s) => lstmCellStepProjected(xt, s.h, s.c, wHh, bHh),
  );
  return { output, h, c };
}

/** Composed reference of `gruSequence`. */
export function gruSequenceComposed(
  x: Tensor,
  h0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: SequenceOptions = {},
): SequenceResult {
  const { T } = checkSequenceArgs('gruSequenceComposed', 3, x, h0, null, wIh, wHh, bIh, bHh);
  const { output, h } = runSteps(x, wIh, bIh, T, options.reverse ?? false, { h: h0 }, (xt, s) => ({
    h: gruCellStepProjected(xt, s.h, wHh, bHh),
  }));
  return { output, h };
}

/** Composed reference of `rnnSequence`. */
export function rnnSequenceComposed(
  x: Tensor,
  h0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: SequenceOptions & { nonlinearity?: RnnNonlinearity } = {},
): SequenceResult {
  const { T } = checkSequenceArgs('rnnSequenceComposed', 1, x, h0, null, wIh, wHh, bIh, bHh);
  const nonlinearity = options.nonlinearity ?? 'tanh';
  const { output, h } = runSteps(x, wIh, bIh, T, options.reverse ?? false, { h: h0 }, (xt, s) => ({
    h: rnnCellStepProjected(xt, s.h, wHh, bHh, nonlinearity),
  }));
  return { output, h };
}
