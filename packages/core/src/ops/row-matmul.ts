// The per-step products of the fused recurrent loops: `input [rows, K] · w [K, N]`, then an
// optional in-place JS transform and an optional sigmoid, with results read as typed arrays.
// On the wasm backend this calls the BatchMatMul and Sigmoid kernels directly on buffers of the
// wasm heap (zero-copy views, no engine bookkeeping, XNNPACK's vectorised sigmoid); elsewhere it
// goes through ordinary tensors.
import { getKernel, Sigmoid, type TensorInfo } from '@tensorflow/tfjs-core';
import { tf, type Tensor } from '../backend/tf';
import { BatchMatMul, WASM } from '../kernels/kernel-names';
import { heapView, type WasmBackend } from '../kernels/wasm/heap';
import { ownGemmEnabled } from '../kernels/wasm/own-gemm';
import { ArenaProduct, type SequenceArena, type StepProduct } from '../wasm/sequence-arena';
import { readF32 } from './fused-kernel';

/** One product reused across the steps of a sequence; dispose it when the loop ends. */
export interface RowMatMul {
  /** A view to write the left operand [rows, K] into (valid until `run` or `dispose`). */
  input(): Float32Array;
  /** The last product [rows, N] after `transform`, before the sigmoid (valid as `run`'s result). */
  product(): Float32Array;
  /**
   * Computes input · w ([rows, N]); `transform` may rewrite it in place (e.g. add the input
   * projection); with `sigmoid`, returns σ of it instead. The view is valid until the next
   * `run`, `input` or `dispose` call.
   */
  run(transform?: (out: Float32Array) => void, sigmoid?: boolean): Float32Array;
  dispose(): void;
}

function infoOf(t: Tensor): TensorInfo {
  return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
}

class WasmRowMatMul implements RowMatMul {
  private readonly backend: WasmBackend;
  private readonly a: TensorInfo;
  private readonly w: TensorInfo;
  private readonly size: number;
  private readonly outSize: number;
  private readonly matMul = getKernel(BatchMatMul, WASM)!.kernelFunc;
  private readonly sigmoid = getKernel(Sigmoid, WASM)!.kernelFunc;
  private pending: TensorInfo[] = [];

  constructor(w: Tensor, rows: number) {
    this.backend = tf.backend() as unknown as WasmBackend;
    this.w = infoOf(w);
    this.size = rows * w.shape[0]!;
    this.outSize = rows * w.shape[1]!;
    this.a = this.backend.makeOutput([rows, w.shape[0]!], 'float32');
  }

  private view(info: TensorInfo, size: number): Float32Array {
    return heapView(this.backend, info, size) as Float32Array;
  }

  private release(): void {
    for (const t of this.pending) this.backend.disposeData(t.dataId, true);
    this.pending = [];
  }

  input(): Float32Array {
    return this.view(this.a, this.size);
  }

  product(): Float32Array {
    return this.view(this.pending[0]!, this.outSize);
  }

  run(transform?: (out: Float32Array) => void, sigmoid = false): Float32Array {
    this.release();
    const out = this.matMul({ inputs: { a: this.a, b: this.w }, attrs: { transposeA: false, transposeB: false }, backend: this.backend as never }) as TensorInfo;
    this.pending.push(out);
    if (transform) transform(this.view(out, this.outSize));
    if (!sigmoid) return this.view(out, this.outSize);
    const s = this.sigmoid({ inputs: { x: out }, attrs: {}, backend: this.backend as never }) as TensorInfo;
    this.pending.push(s);
    return this.view(s, this.outSize);
  }

  dispose(): void {
    this.release();
    this.backend.disposeData(this.a.dataId, true);
  }
}

class TensorRowMatMul implements RowMatMul {
  private readonly a: Float32Array;
  private last: Float32Array = new Float32Array(0);
  constructor(
    private readonly w: Tensor,
    private readonly rows: number,
  ) {
    this.a = new Float32Array(rows * w.shape[0]!);
  }
  input(): Float32Array {
    return this.a;
  }
  product(): Float32Array {
    return this.last;
  }
  run(transform?: (out: Float32Array) => void, sigmoid = false): Float32Array {
    const out = tf.tidy(() => tf.matMul(tf.tensor(this.a.slice(), [this.rows, this.w.shape[0]!], 'float32'), this.w).dataSync() as Float32Array);
    if (transform) transform(out);
    this.last = out;
    if (!sigmoid) return out;
    const s = new Float32Array(out.length);
    for (let i = 0; i < out.length; i++) s[i] = 1 / (1 + Math.exp(-out[i]!));
    return s;
  }
  dispose(): void {}
}

/** A reusable `[rows, K] · w` product for a loop (w [K, N] must stay alive and unchanged meanwhile). */
export function rowMatMul(w: Tensor, rows: number): RowMatMul {
  const wasm = tf.getBackend() === WASM && getKernel(BatchMatMul, WASM) !== undefined && getKernel(Sigmoid, WASM) !== undefined;
  return wasm ? new WasmRowMatMul(w, rows) : new TensorRowMatMul(w, rows);
}

/**
 * The per-step product of a whole-sequence op on the kernel path, on arena blocks of `k`: our
 * GEMM inside the arena (`ArenaProduct`), or, with our GEMM switched off, XNNPACK through
 * `rowMatMul` with A copied out of the arena and C back in. `w` is B [K, N], or with
 * `transposed` W [N, K] for B = Wᵀ.
 */
export function stepProduct(k: SequenceArena, w: Tensor, rows: number, transposed: boolean): StepProduct {
  const [r, c] = w.shape as [number, number];
  const [K, N] = transposed ? [c, r] : [r, c];
  if (ownGemmEnabled()) return new ArenaProduct(k, readF32(w), rows, K, N, transposed);
  const wt = transposed ? tf.transpose(w) : null;
  const mm = rowMatMul(wt ?? w, rows);
  return {
    run(a: number, out: number): void {
      mm.input().set(k.view(a, rows * K));
      const product = mm.run(); // before k.f32: XNNPACK's output is in tfjs's heap, not the arena
      k.f32.set(product, out >>> 2);
    },
    dispose(): void {
      mm.dispose();
      wt?.dispose();
    },
  };
}
