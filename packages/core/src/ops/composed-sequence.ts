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

function steps(T: number, reverse: boolean): number[] {
  const order = Array.from({ length: T }, (_, t) => t);
  return reverse ? order.reverse() : order;
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
  return tf.tidy(() => {
    const xp = timeSteps(projectInput(x, wIh, bIh)); // T × [B, 4H]
    const outs: Tensor[] = new Array<Tensor>(T);
    let h = h0;
    let c = c0;
    for (const t of steps(T, options.reverse ?? false)) {
      ({ h, c } = lstmCellStepProjected(xp[t]!, h, c, wHh, bHh));
      outs[t] = h;
    }
    return { output: tf.stack(outs), h, c };
  });
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
  return tf.tidy(() => {
    const xp = timeSteps(projectInput(x, wIh, bIh)); // T × [B, 3H]
    const outs: Tensor[] = new Array<Tensor>(T);
    let h = h0;
    for (const t of steps(T, options.reverse ?? false)) {
      h = gruCellStepProjected(xp[t]!, h, wHh, bHh);
      outs[t] = h;
    }
    return { output: tf.stack(outs), h };
  });
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
  return tf.tidy(() => {
    const xp = timeSteps(projectInput(x, wIh, bIh)); // T × [B, H]
    const outs: Tensor[] = new Array<Tensor>(T);
    let h = h0;
    for (const t of steps(T, options.reverse ?? false)) {
      h = rnnCellStepProjected(xp[t]!, h, wHh, bHh, options.nonlinearity ?? 'tanh');
      outs[t] = h;
    }
    return { output: tf.stack(outs), h };
  });
}
