// The single place where Recurrent imports tfjs-core. Every other package takes `tf` from here,
// so there is one kernel registry and one engine.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's gradient registrations (see package.json `imports`): tfjs-core's own ESM file in a
// bundler, so the bundle holds one copy of tfjs-core; a bundled copy in Node, which cannot load
// that file (ESM with extension-less imports in a package that is not `type: module`).
import '#tfjs-gradients';

export { tf };
export type {
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Rank,
  DataType,
  TensorLike,
  Variable,
  NamedTensorMap,
} from '@tensorflow/tfjs-core';
