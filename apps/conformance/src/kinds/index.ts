import type { KindRunner } from '../case';
import { adamStepKind, adamwStepKind, clipGradNormKind, crossEntropyKind, sgdStepKind } from './train';

/**
 * Every kind in the fixture schema. A kind whose package is not built yet is registered as
 * `notImplemented(kind)`, so its cases fail rather than being skipped.
 */
export const KINDS: Record<string, KindRunner> = {
  rnn: notImplemented('rnn'),
  lstm: notImplemented('lstm'),
  gru: notImplemented('gru'),
  rnn_cell: notImplemented('rnn_cell'),
  lstm_cell: notImplemented('lstm_cell'),
  gru_cell: notImplemented('gru_cell'),
  embedding: notImplemented('embedding'),
  linear: notImplemented('linear'),
  cross_entropy: crossEntropyKind,
  clip_grad_norm: clipGradNormKind,
  sgd_step: sgdStepKind,
  adam_step: adamStepKind,
  adamw_step: adamwStepKind,
};

function notImplemented(kind: string): KindRunner {
  return () => {
    throw new Error(`kind '${kind}' is not implemented yet`);
  };
}
