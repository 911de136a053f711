// A reusable elementwise sigmoid for the fused loops' own buffers: on the wasm backend XNNPACK's
// vectorised sigmoid runs on a buffer of the heap (zero-copy views); elsewhere a JS loop.
// The LSTM's tanh(c) goes through it as 2σ(2c) − 1: V8's Math.exp cost about 30 ns per element,
// two thirds of the cell update's time.
import { getKernel, Sigmoid, type TensorInfo } from '@tensorflow/tfjs-core';
import { tf } from '../backend/tf';
import { WASM } from '../kernels/kernel-names';
import { heapView, type WasmBackend } from '../kernels/wasm/heap';

/** σ over `n` values: write them into `input()`, then `run()` returns σ of them. */
export interface HeapSigmoid {
  /** A view to write the arguments into (valid until `run` or `dispose`). */
  input(): Float32Array;
  /** σ of the input; the view is valid until the next `input`, `run` or `dispose` call. */
  run(): Float32Array;
  dispose(): void;
}

class WasmHeapSigmoid implements HeapSigmoid {
  private readonly backend = tf.backend() as unknown as WasmBackend;
  private readonly sigmoid = getKernel(Sigmoid, WASM)!.kernelFunc;
  private readonly x: TensorInfo;
  private out: TensorInfo | null = null;
  constructor(private readonly n: number) {
    this.x = this.backend.makeOutput([n], 'float32');
  }
  private release(): void {
    if (this.out) this.backend.disposeData(this.out.dataId, true);
    this.out = null;
  }
  input(): Float32Array {
    return heapView(this.backend, this.x, this.n) as Float32Array;
  }
  run(): Float32Array {
    this.release();
    this.out = this.sigmoid({ inputs: { x: this.x }, attrs: {}, backend: this.backend as never }) as TensorInfo;
    return heapView(this.backend, this.out, this.n) as Float32Array;
  }
  dispose(): void {
    this.release();
    this.backend.disposeData(this.x.dataId, true);
  }
}

class JsHeapSigmoid implements HeapSigmoid {
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  constructor(n: number) {
    this.x = new Float32Array(n);
    this.y = new Float32Array(n);
  }
  input(): Float32Array {
    return this.x;
  }
  run(): Float32Array {
    for (let i = 0; i < this.x.length; i++) this.y[i] = 1 / (1 + Math.exp(-this.x[i]!));
    return this.y;
  }
  dispose(): void {}
}

/** An elementwise sigmoid over n values, reused across the steps of a loop; dispose it after. */
export function heapSigmoid(n: number): HeapSigmoid {
  const wasm = tf.getBackend() === WASM && getKernel(Sigmoid, WASM) !== undefined;
  return wasm ? new WasmHeapSigmoid(n) : new JsHeapSigmoid(n);
}
