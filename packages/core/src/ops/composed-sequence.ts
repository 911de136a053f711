// The whole-sequence ops composed of the per-step cell math (composed-cells.ts): tfjs autograd
// differentiates them. They are the reference the module's route is tested against, and the
// route itself where our module does not run (module/route.ts).
import { tf, type Tensor } from '../runtime/tf';
import {
  gruCellStepProjected,
  lstmCellStepProjected,
  projectInput,
  rnnCellStepProjected,
  type RnnNonlinearity,
} from './composed-cells';
import { checkSequenceArgs, type SequenceOptions } from './sequence-args';

/** Output sequence and final hidden state of a GRU or plain RNN sequence op. */
export type SequenceResult = {
  output: Tensor; // [T, B, H]
  h: Tensor; // [B, H]
};

/** Output sequence and final states of an LSTM sequence op. */
export type LstmSequenceResult = {
  output: Tensor; // [T, B, H]
  h: Tensor; // [B, H]
  c: Tensor; // [B, H]
};

/** Splits [T, B, N] into T × [B, N] (tfjs's unstack gradient breaks for T = 1, so reshape then). */
function timeSteps(xp: Tensor): Tensor[] {
  return xp.shape[0] === 1 ? [tf.reshape(xp, xp.shape.slice(1))] : tf.unstack(xp);
}

/** The one-hot vectors [T, B, I] of token ids [T, B] (the composed ops multiply them). */
function inputOf(x: Tensor, I: number): Tensor {
  return x.dtype === 'int32' ? tf.oneHot(x, I, 1, 0, 'float32') : x;
}

/**
 * The loop every composed reference shares: the input projections of all steps at once, then
 * `step` from `state0` over time (backwards with `reverse`), `output[t]` being h after x[t].
 * Arguments already checked.
 */
function runSteps<S extends { h: Tensor }>(
  x: Tensor,
  wIh: Tensor,
  bIh: Tensor | null,
  reverse: boolean,
  state0: S,
  step: (xt: Tensor, s: S) => S,
): S & { output: Tensor } {
  return tf.tidy(() => {
    const T = x.shape[0]!;
    const xp = timeSteps(projectInput(inputOf(x, wIh.shape[1]!), wIh, bIh)); // T × [B, G*H]
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

/** `lstmSequence` composed (arguments already checked). */
export function composedLstm(
  x: Tensor,
  h0: Tensor,
  c0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  reverse: boolean,
): LstmSequenceResult {
  const { output, h, c } = runSteps(x, wIh, bIh, reverse, { h: h0, c: c0 }, (xt, s) =>
    lstmCellStepProjected(xt, s.h, s.c, wHh, bHh),
  );
  return { output, h, c };
}

/** `gruSequence` composed (arguments already checked). */
export function composedGru(
  x: Tensor,
  h0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  reverse: boolean,
): SequenceResult {
  const { output, h } = runSteps(x, wIh, bIh, reverse, { h: h0 }, (xt, s) => ({
    h: gruCellStepProjected(xt, s.h, wHh, bHh),
  }));
  return { output, h };
}

/** `rnnSequence` composed (arguments already checked). */
export function composedRnn(
  x: Tensor,
  h0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  reverse: boolean,
  nonlinearity: RnnNonlinearity,
): SequenceResult {
  const { output, h } = runSteps(x, wIh, bIh, reverse, { h: h0 }, (xt, s) => ({
    h: rnnCellStepProjected(xt, s.h, wHh, bHh, nonlinearity),
  }));
  return { output, h };
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
  checkSequenceArgs('lstmSequenceComposed', 4, x, h0, c0, wIh, wHh, bIh, bHh);
  return composedLstm(x, h0, c0, wIh, wHh, bIh, bHh, options.reverse ?? false);
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
  checkSequenceArgs('gruSequenceComposed', 3, x, h0, null, wIh, wHh, bIh, bHh);
  return composedGru(x, h0, wIh, wHh, bIh, bHh, options.reverse ?? false);
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
  checkSequenceArgs('rnnSequenceComposed', 1, x, h0, null, wIh, wHh, bIh, bHh);
  return composedRnn(
    x,
    h0,
    wIh,
    wHh,
    bIh,
    bHh,
    options.reverse ?? false,
    options.nonlinearity ?? 'tanh',
  );
}
