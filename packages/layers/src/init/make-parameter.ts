import type { Tensor } from '@recurrent/core';
import { Parameter } from '../module/parameter';

/** Wraps a freshly made tensor in a Parameter and disposes the tensor (the variable keeps a copy). */
export function parameterFrom(value: Tensor): Parameter {
  const p = new Parameter(value);
  value.dispose();
  return p;
}
