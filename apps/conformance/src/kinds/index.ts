import type { KindRunner } from '../case';
import { embeddingKind, gruCellKind, gruKind, linearKind, lstmCellKind, lstmKind, rnnCellKind, rnnKind } from './layers';
import { adamStepKind, adamwStepKind, clipGradNormKind, crossEntropyKind, sgdStepKind } from './train';

/**
 * Every kind in the fixture schema. A kind whose package is not built yet is registered as
 * `notImplemented(kind)`, so its cases fail rather than being skipped.
 */
export const KINDS: Record<string, KindRunner> = {
  rnn: rnnKind,
  lstm: lstmKind,
  gru: gruKind,
  rnn_cell: rnnCellKind,
  lstm_cell: lstmCellKind,
  gru_cell: gruCellKind,
  embedding: embeddingKind,
  linear: linearKind,
  cross_entropy: crossEntropyKind,
  clip_grad_norm: clipGradNormKind,
  sgd_step: sgdStepKind,
  adam_step: adamStepKind,
  adamw_step: adamwStepKind,
};

export function notImplemented(kind: string): KindRunner {
  return () => {
    throw new Error(`kind '${kind}' is not implemented yet`);
  };
}
