// The single place where Recurrent imports tfjs-core. Every other package takes `tf` from here,
// so there is one kernel registry and one engine.
import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';

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
