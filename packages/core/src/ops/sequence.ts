// The whole-sequence recurrent ops (a layer's one direction over a whole sequence, differentiable
// in every input): validated here, then run on our module (sequence-module.ts: one driver for the
// three cells) or composed of tfjs ops (composed-sequence.ts), as module/route.ts decides.
import type { Tensor } from '../runtime/tf';
import { checkOneOf } from '../validate';
import { moduleRoute } from '../module/route';
import type { RnnNonlinearity } from './composed-cells';
import {
  composedGru,
  composedLstm,
  composedRnn,
  type LstmSequenceResult,
  type SequenceResult,
} from './composed-sequence';
import { checkSequenceArgs, sequenceInputs, type SequenceOptions } from './sequence-args';
import { runSequenceOnModule } from './sequence-module';

/** Options of `rnnSequence`. */
export interface RnnSequenceOptions extends SequenceOptions {
  nonlinearity?: RnnNonlinearity;
}

/**
 * Runs an LSTM layer (one direction) over a whole sequence, gates i, f, g, o:
 * `c = σ(f)·c' + σ(i)·tanh(g)`, `h = σ(o)·tanh(c)`. x [T, B, I] (or int32 token ids [T, B]
 * standing for one-hot vectors of size I: the input projection is then a row lookup), h0 and c0
 * [B, H], wIh [4H, I], wHh [4H, H], biases [4H] or null. With `reverse`, time runs from T−1 to 0
 * and `output[t]` is the state after consuming x[t].
 */
export function lstmSequence(
  x: Tensor,
  h0: Tensor,
  c0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: SequenceOptions = {},
): LstmSequenceResult {
  checkSequenceArgs('lstmSequence', 4, x, h0, c0, wIh, wHh, bIh, bHh);
  const reverse = options.reverse ?? false;
  if (!moduleRoute()) return composedLstm(x, h0, c0, wIh, wHh, bIh, bHh, reverse);
  const [output, h, c] = runSequenceOnModule(
    'lstm',
    sequenceInputs(x, h0, c0, wIh, wHh, bIh, bHh),
    reverse,
    false,
  ) as [Tensor, Tensor, Tensor];
  return { output, h, c };
}

/**
 * Runs a GRU layer (one direction) over a whole sequence, gates r, z, n, the reset gate applied
 * after the hidden product as PyTorch does: `n = tanh(W_in x + b_in + r·(W_hn h' + b_hn))`,
 * `h = n + z·(h' − n)`. Arguments as `lstmSequence` (no c0; weights [3H, ·]).
 */
export function gruSequence(
  x: Tensor,
  h0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: SequenceOptions = {},
): SequenceResult {
  checkSequenceArgs('gruSequence', 3, x, h0, null, wIh, wHh, bIh, bHh);
  const reverse = options.reverse ?? false;
  if (!moduleRoute()) return composedGru(x, h0, wIh, wHh, bIh, bHh, reverse);
  const [output, h] = runSequenceOnModule(
    'gru',
    sequenceInputs(x, h0, null, wIh, wHh, bIh, bHh),
    reverse,
    false,
  ) as [Tensor, Tensor];
  return { output, h };
}

/**
 * Runs a plain (Elman) RNN layer (one direction) over a whole sequence:
 * `h = act(W_ih x + b_ih + W_hh h' + b_hh)`, act tanh (default) or relu. Arguments as
 * `lstmSequence` (no c0; weights [H, ·]).
 */
export function rnnSequence(
  x: Tensor,
  h0: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  options: RnnSequenceOptions = {},
): SequenceResult {
  checkSequenceArgs('rnnSequence', 1, x, h0, null, wIh, wHh, bIh, bHh);
  const nonlinearity = checkOneOf(
    'rnnSequence',
    'options.nonlinearity',
    options.nonlinearity ?? 'tanh',
    ['tanh', 'relu'] as const,
  );
  const reverse = options.reverse ?? false;
  if (!moduleRoute()) return composedRnn(x, h0, wIh, wHh, bIh, bHh, reverse, nonlinearity);
  const [output, h] = runSequenceOnModule(
    'rnn',
    sequenceInputs(x, h0, null, wIh, wHh, bIh, bHh),
    reverse,
    nonlinearity === 'relu',
  ) as [Tensor, Tensor];
  return { output, h };
}
