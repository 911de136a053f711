import { checkBool, checkDType, checkShape, checkTensor, tf, type Tensor } from '@recurrent/core';

/**
 * A trainable tensor, as `torch.nn.Parameter`: a tfjs `Variable` holding the value and a `grad`
 * that backward passes fill (and `zeroGrad` clears). Shapes follow PyTorch (`[out, in]`).
 */
export class Parameter {
  readonly variable: tf.Variable;
  /** The gradient of the last backward pass, or null. Owned by the parameter (disposed on replace). */
  grad: Tensor | null = null;
  requiresGrad: boolean;

  constructor(value: Tensor, requiresGrad = true) {
    checkTensor('Parameter', 'value', value);
    checkBool('Parameter', 'requiresGrad', requiresGrad);
    // The variable keeps its own copy; the caller keeps ownership of `value`.
    this.variable = tf.variable(value, requiresGrad);
    this.requiresGrad = requiresGrad;
  }

  get shape(): number[] {
    return this.variable.shape;
  }

  get size(): number {
    return this.variable.size;
  }

  /** The current value (the variable itself; do not dispose it). */
  get value(): tf.Variable {
    return this.variable;
  }

  /** Replaces the value in place (same shape); the caller keeps ownership of `value`. */
  assign(value: Tensor): void {
    checkShape('Parameter.assign', 'value', checkTensor<Tensor>('Parameter.assign', 'value', value), this.variable.shape);
    checkDType('Parameter.assign', 'value', value, this.variable.dtype);
    this.variable.assign(value);
  }

  /** Replaces the gradient, disposing the previous one. Takes ownership of `grad`. */
  setGrad(grad: Tensor | null): void {
    if (this.grad && this.grad !== grad) this.grad.dispose();
    this.grad = grad;
  }

  /** Adds to the gradient (PyTorch accumulates until `zeroGrad`). Takes ownership of `grad`. */
  accumulateGrad(grad: Tensor): void {
    if (!this.grad) {
      this.grad = grad;
      return;
    }
    const sum = tf.add(this.grad, grad);
    this.grad.dispose();
    grad.dispose();
    this.grad = sum;
  }

  zeroGrad(): void {
    this.setGrad(null);
  }

  dispose(): void {
    this.zeroGrad();
    this.variable.dispose();
  }
}
