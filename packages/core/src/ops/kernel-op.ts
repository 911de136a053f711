// Ops with a hand-written gradient, registered the way tfjs registers its own: a kernel under our
// name (for whichever backend is current, registered on first use) and a gradient config, run
// through the engine's public `runKernel`. The kernel may have several outputs (tf.customGrad
// allows one), and the gradient is lazy per input: the tape asks only for those on its path.
import type { NamedAttrMap, NamedTensorMap, TensorInfo } from '@tensorflow/tfjs-core';
import { tf, type Tensor } from '../runtime/tf';

/** A lazily computed gradient per input name (only those on the backward path are called). */
export type GradientMap = Record<string, () => Tensor>;

export interface KernelOp {
  /** The kernel's name in tfjs's registry. */
  name: string;
  /** Inputs and outputs the gradient receives as `saved` (inputs first, in this order). */
  inputsToSave: string[];
  outputsToSave: boolean[];
  /** The outputs, as tensors, from the inputs and attributes (runs on any backend). */
  forward(inputs: Record<string, Tensor>, attrs: NamedAttrMap): Tensor[];
  /** One upstream gradient per output (zeros for outputs that do not reach the loss), the saved tensors and the attributes. */
  backward(dys: Tensor[], saved: Tensor[], attrs: NamedAttrMap): GradientMap;
}

/** Runs `op` as one node of the gradient tape; returns its outputs. */
export function runKernelOp(
  op: KernelOp,
  inputs: Record<string, Tensor>,
  attrs: NamedAttrMap = {},
): Tensor[] {
  const backendName = tf.getBackend();
  if (tf.getKernel(op.name, backendName) === undefined) {
    tf.registerKernel({
      kernelName: op.name,
      backendName,
      kernelFunc: ({ inputs: ins, attrs: at }) =>
        op.forward(ins as unknown as Record<string, Tensor>, at ?? {}) as unknown as TensorInfo[],
    });
  }
  if (tf.getGradient(op.name) === undefined) {
    tf.registerGradient({
      kernelName: op.name,
      inputsToSave: op.inputsToSave,
      outputsToSave: op.outputsToSave,
      gradFunc: (dy, saved, at) => op.backward(Array.isArray(dy) ? dy : [dy], saved, at),
    });
  }
  const out = tf.engine().runKernel(op.name, inputs as NamedTensorMap, attrs) as Tensor | Tensor[];
  return Array.isArray(out) ? out : [out];
}

/** Whether a gradient tape is recording here (so a forward pass must keep what its backward pass needs). */
export function isRecording(): boolean {
  return tf.engine().isTapeOn();
}
