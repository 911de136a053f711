// Softmax cross-entropy per row of logits: the loss's heavy part (a log-sum-exp over every class
// of every row) as one op with a hand-written gradient. On the wasm backend with our module, two
// WebAssembly SIMD kernels (assembly/loss-kernels.ts) do it: one pass for each row's maximum,
// one for its sum of exponentials, and in backward one pass that recomputes the softmax. The
// composed version (tfjs ops: logSoftmax, a one-hot product) is the reference and the path
// elsewhere. tfjs's own wasm Exp is a scalar loop, about 8 ns per element.
import { tf, type Tensor } from '../backend/tf';
import { InvalidArgumentError, ShapeError } from '../errors';
import { heapView, type WasmBackend } from '../kernels/wasm/heap';
import { checkDType, checkNumber, checkRank } from '../validate';
import { sharedArena } from '../wasm/sequence-arena';
import { readF32, runFused, tensorOfView } from './fused-kernel';

export interface SoftmaxCrossEntropyOptions {
  /** Rows whose target equals this get loss 0 and no gradient (default -100, as PyTorch). */
  ignoreIndex?: number;
  /** PyTorch's `label_smoothing` in [0, 1] (default 0). */
  labelSmoothing?: number;
}

const FN = 'softmaxCrossEntropy';

interface Checked {
  M: number;
  C: number;
  ignoreIndex: number;
  smoothing: number;
  ids: Int32Array;
}

function check(fn: string, logits: Tensor, targets: Tensor, options: SoftmaxCrossEntropyOptions): Checked {
  checkDType(fn, 'logits', logits, 'float32');
  checkRank(fn, 'logits', logits, 2);
  checkDType(fn, 'targets', targets, 'int32');
  const [M, C] = logits.shape as [number, number];
  if (C < 1) throw new ShapeError({ fn, argument: 'logits', expected: 'at least one class ([M, C] with C >= 1)', received: logits.shape });
  if (targets.rank !== 1 || targets.shape[0] !== M) {
    throw new ShapeError({ fn, argument: 'targets', expected: `shape [${M}] (one target per row of logits)`, received: targets.shape });
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw new InvalidArgumentError({ fn, argument: 'options.ignoreIndex', expected: 'an integer', received: ignoreIndex });
  const smoothing = checkNumber(fn, 'options.labelSmoothing', options.labelSmoothing ?? 0, { min: 0, max: 1 });
  const ids = targets.dataSync() as Int32Array;
  for (let m = 0; m < M; m++) {
    const id = ids[m]!;
    if (id !== ignoreIndex && (id < 0 || id >= C)) {
      throw new InvalidArgumentError({ fn, argument: 'targets', expected: `class indices in [0, ${C}) or ignoreIndex (${ignoreIndex})`, received: id });
    }
  }
  return { M, C, ignoreIndex, smoothing, ids };
}

/**
 * Per-row softmax cross-entropy of logits [M, C] against int32 class indices [M], as
 * `torch.nn.functional.cross_entropy(..., reduction='none')`: loss[m] = logsumexp(z_m) − z_m[t_m]
 * (with label smoothing s: (1 − s) of that plus s times the mean over classes of
 * logsumexp(z_m) − z_mj), and 0 where t_m is `ignoreIndex`. Differentiable in `logits`.
 * Targets outside [0, C) (other than `ignoreIndex`) are an error, as in PyTorch.
 */
export function softmaxCrossEntropy(logits: Tensor, targets: Tensor, options: SoftmaxCrossEntropyOptions = {}): Tensor {
  const c = check(FN, logits, targets, options);
  const k = tf.getBackend() === 'wasm' && c.M > 0 ? sharedArena() : null;
  // The forward pass's blocks; where our memory cannot hold the logits (wasm32's 4 GB, a
  // browser's limit), the composed ops.
  const forwardBlocks = k?.tryAlloc(c.M * c.C, c.M, c.M, c.M);
  if (!k || !forwardBlocks) return composed(logits, targets, c);
  const { M, C, ignoreIndex, smoothing, ids } = c;
  const backend = tf.backend() as unknown as WasmBackend;
  /** logits' values copied into block zB of the arena. */
  const copyLogits = (z: Tensor, zB: number): void => {
    k.f32.set(heapView(backend, z, M * C) as Float32Array, zB >>> 2);
  };
  let lse = new Float32Array(0); // each row's log-sum-exp, from forward to backward
  const [loss] = runFused(
    { logits },
    (save) => {
      const [zB, tB, lossB, lseB] = forwardBlocks as [number, number, number, number];
      copyLogits(logits, zB);
      k.i32.set(ids, tB >>> 2);
      k.fns.crossEntropyForward(zB, tB, M, C, ignoreIndex, smoothing, lossB, lseB);
      lse = k.view(lseB, M).slice();
      const out = tensorOfView(k.view(lossB, M), [M]);
      k.release(zB, tB, lossB, lseB);
      save([logits]);
      return [out];
    },
    ([dy], saved) => ({
      logits: () => {
        const [z] = saved as [Tensor];
        const g = readF32(dy!);
        const zB = k.alloc(M * C);
        const tB = k.alloc(M);
        const lseB = k.alloc(M);
        const gB = k.alloc(M);
        copyLogits(z, zB);
        k.i32.set(ids, tB >>> 2);
        k.f32.set(lse, lseB >>> 2);
        k.f32.set(g, gB >>> 2);
        k.fns.crossEntropyBackward(zB, tB, lseB, gB, M, C, ignoreIndex, smoothing);
        const dz = tensorOfView(k.view(zB, M * C), [M, C]);
        k.release(zB, tB, lseB, gB);
        return dz;
      },
    }),
  );
  return loss!;
}

/** `softmaxCrossEntropy` composed of tfjs ops (the reference; the path off wasm). */
export function softmaxCrossEntropyComposed(logits: Tensor, targets: Tensor, options: SoftmaxCrossEntropyOptions = {}): Tensor {
  return composed(logits, targets, check(`${FN}Composed`, logits, targets, options));
}

function composed(logits: Tensor, targets: Tensor, { C, ignoreIndex, smoothing }: Checked): Tensor {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits, -1); // [M, C]
    const valid = tf.notEqual(targets, tf.scalar(ignoreIndex, 'int32')); // [M]
    const safe = tf.where(valid, targets, tf.zerosLike(targets)); // [M]
    // A one-hot product (a gather through wasm's UnsortedSegmentSum gradient measured no faster);
    // tfjs's oneHot needs two classes or more.
    const picked = C === 1 ? tf.reshape(logp, [-1]) : tf.sum(tf.mul(logp, tf.oneHot(safe, C, 1, 0, 'float32')), -1); // [M]
    let perRow = tf.neg(picked); // [M]
    if (smoothing > 0) perRow = tf.add(tf.mul(perRow, 1 - smoothing), tf.mul(tf.neg(tf.mean(logp, -1)), smoothing));
    return tf.mul(perRow, tf.cast(valid, 'float32'));
  });
}
