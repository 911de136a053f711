import type { KindRunner } from '../case';
import { LAYER_KINDS } from './layers';
import { adamStepKind, adamwStepKind, clipGradNormKind, crossEntropyKind, sgdStepKind } from './train';

/**
 * Every kind in the fixture schema. A case of a kind not listed here fails (the runner reports
 * "unknown kind"); it is never skipped.
 */
export const KINDS: Record<string, KindRunner> = {
  ...LAYER_KINDS,
  cross_entropy: crossEntropyKind,
  clip_grad_norm: clipGradNormKind,
  sgd_step: sgdStepKind,
  adam_step: adamStepKind,
  adamw_step: adamwStepKind,
};
