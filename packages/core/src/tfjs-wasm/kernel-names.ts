// The kernels Recurrent registers or wraps, named by tfjs-core's own constants so the op, its
// gradient and our kernel stay linked by one name.
export {
  BatchMatMul,
  OneHot,
  Slice,
  SplitV,
  Transpose,
  Unpack,
  UnsortedSegmentSum,
  _FusedMatMul,
} from '@tensorflow/tfjs-core';

/** The backend our JavaScript kernels are registered for. */
export const WASM = 'wasm';
