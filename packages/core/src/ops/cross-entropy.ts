// Softmax cross-entropy per row of logits: the loss's heavy part (a log-sum-exp over every class
// of every row) as one op with a hand-written gradient. On our module (assembly/loss.ts) one pass
// finds each row's maximum, one its sum of exponentials, and backward one pass recomputes the
// softmax. The composed version (tfjs ops: logSoftmax, a one-hot product) is the reference and the
// route where our module does not run, or cannot hold the logits. tfjs's own wasm Exp is a scalar
// loop, about 8 ns per element.
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { tf, type Tensor } from '../runtime/tf';
import { InvalidArgumentError, ShapeError } from '../errors';
import { checkDType, checkNumber, checkRank } from '../validate';
import { moduleMemory, type ModuleMemory } from '../module/memory';
import { moduleRoute, threadChunks } from '../module/route';
import { runKernelOp, type KernelOp } from './kernel-op';
import { putTensor, tensorFromModule } from './module-io';

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
}

function check(
  fn: string,
  logits: Tensor,
  targets: Tensor,
  options: SoftmaxCrossEntropyOptions,
): Checked {
  checkDType(fn, 'logits', logits, 'float32');
  checkRank(fn, 'logits', logits, 2);
  checkDType(fn, 'targets', targets, 'int32');
  const [M, C] = logits.shape as [number, number];
  if (C < 1)
    throw new ShapeError({
      fn,
      argument: 'logits',
      expected: 'at least one class ([M, C] with C >= 1)',
      received: logits.shape,
    });
  if (targets.rank !== 1 || targets.shape[0] !== M) {
    throw new ShapeError({
      fn,
      argument: 'targets',
      expected: `shape [${M}] (one target per row of logits)`,
      received: targets.shape,
    });
  }
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex))
    throw new InvalidArgumentError({
      fn,
      argument: 'options.ignoreIndex',
      expected: 'an integer',
      received: ignoreIndex,
    });
  const smoothing = checkNumber(fn, 'options.labelSmoothing', options.labelSmoothing ?? 0, {
    min: 0,
    max: 1,
  });
  const ids = targets.dataSync() as Int32Array;
  for (let m = 0; m < M; m++) {
    const id = ids[m]!;
    if (id !== ignoreIndex && (id < 0 || id >= C)) {
      throw new InvalidArgumentError({
        fn,
        argument: 'targets',
        expected: `class indices in [0, ${C}) or ignoreIndex (${ignoreIndex})`,
        received: id,
      });
    }
  }
  return { M, C, ignoreIndex, smoothing };
}

/**
 * Chunks of rows for M rows of C logits: a logit costs about as much as 8 multiply-adds (an
 * exponential), so cutting starts at about 32k logits.
 */
function rowChunks(mem: ModuleMemory, M: number, C: number): number {
  return Math.min(M, threadChunks(mem, 8 * M * C));
}

/** The module's kernel: outputs the per-row loss [M] and each row's log-sum-exp [M] (saved for the gradient). */
const kernel: KernelOp = {
  name: 'RecurrentSoftmaxCrossEntropy',
  inputsToSave: ['logits', 'targets'],
  outputsToSave: [false, true],
  forward({ logits, targets }, attrs) {
    const mem = moduleMemory()!;
    const [M, C] = logits!.shape as [number, number];
    const [zB, tB, lossB, lseB] = [mem.alloc(M * C), mem.alloc(M), mem.alloc(M), mem.alloc(M)];
    putTensor(mem, zB, logits!, M, C, C);
    mem.i32.set(targets!.dataSync() as Int32Array, tB >>> 2);
    // Rows are independent: each thread takes a range of them.
    mem.parallel('crossEntropyForward', M, rowChunks(mem, M, C), 1, (m0, m1) => [
      zB + 4 * m0 * C,
      tB + 4 * m0,
      m1 - m0,
      C,
      attrs.ignoreIndex as number,
      attrs.smoothing as number,
      lossB + 4 * m0,
      lseB + 4 * m0,
    ]);
    const out = [
      tensorFromModule(mem, lossB, [M], 1, M, M),
      tensorFromModule(mem, lseB, [M], 1, M, M),
    ];
    mem.release(zB, tB, lossB, lseB);
    return out;
  },
  backward([dy], [z, targets, lse], attrs: NamedAttrMap) {
    return {
      logits: () => {
        const mem = moduleMemory()!;
        const [M, C] = z!.shape as [number, number];
        const [zB, tB, lseB, gB] = [mem.alloc(M * C), mem.alloc(M), mem.alloc(M), mem.alloc(M)];
        putTensor(mem, zB, z!, M, C, C);
        mem.i32.set(targets!.dataSync() as Int32Array, tB >>> 2);
        putTensor(mem, lseB, lse!, 1, M, M);
        putTensor(mem, gB, dy!, 1, M, M);
        mem.parallel('crossEntropyBackward', M, rowChunks(mem, M, C), 1, (m0, m1) => [
          zB + 4 * m0 * C,
          tB + 4 * m0,
          lseB + 4 * m0,
          gB + 4 * m0,
          m1 - m0,
          C,
          attrs.ignoreIndex as number,
          attrs.smoothing as number,
        ]);
        const dz = tensorFromModule(mem, zB, [M, C], M, C, C); // written over z in place
        mem.release(zB, tB, lseB, gB);
        return dz;
      },
      targets: () => tf.zerosLike(targets!),
    };
  },
};

/**
 * Per-row softmax cross-entropy of logits [M, C] against int32 class indices [M], as
 * `torch.nn.functional.cross_entropy(..., reduction='none')`: loss[m] = logsumexp(z_m) − z_m[t_m]
 * (with label smoothing s: (1 − s) of that plus s times the mean over classes of
 * logsumexp(z_m) − z_mj), and 0 where t_m is `ignoreIndex`. Differentiable in `logits`.
 * Targets outside [0, C) (other than `ignoreIndex`) are an error, as in PyTorch.
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  targets: Tensor,
  options: SoftmaxCrossEntropyOptions = {},
): Tensor {
  const c = check(FN, logits, targets, options);
  // Our module's route where it can hold the logits (wasm32's 4 GB, a browser's limit), else composed.
  const mem = c.M > 0 ? moduleRoute() : null;
  const room = mem?.tryAlloc(c.M * c.C, c.M, c.M, c.M);
  if (!mem || !room) return composed(logits, targets, c);
  mem.release(...room); // the kernel takes the same blocks back from the free list
  const [loss, lse] = runKernelOp(
    kernel,
    { logits, targets },
    { ignoreIndex: c.ignoreIndex, smoothing: c.smoothing },
  ) as [Tensor, Tensor];
  lse.dispose(); // the tape keeps its own reference for the gradient
  return loss;
}

/** `softmaxCrossEntropy` composed of tfjs ops (the reference; the path off wasm). */
export function softmaxCrossEntropyComposed(
  logits: Tensor,
  targets: Tensor,
  options: SoftmaxCrossEntropyOptions = {},
): Tensor {
  return composed(logits, targets, check(`${FN}Composed`, logits, targets, options));
}

function composed(logits: Tensor, targets: Tensor, { C, ignoreIndex, smoothing }: Checked): Tensor {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits, -1); // [M, C]
    const valid = tf.notEqual(targets, tf.scalar(ignoreIndex, 'int32')); // [M]
    const safe = tf.where(valid, targets, tf.zerosLike(targets)); // [M]
    // A one-hot product (a gather through wasm's UnsortedSegmentSum gradient measured no faster);
    // tfjs's oneHot needs two classes or more.
    const picked =
      C === 1
        ? tf.reshape(logp, [-1])
        : tf.sum(tf.mul(logp, tf.oneHot(safe, C, 1, 0, 'float32')), -1); // [M]
    let perRow = tf.neg(picked); // [M]
    if (smoothing > 0)
      perRow = tf.add(tf.mul(perRow, 1 - smoothing), tf.mul(tf.neg(tf.mean(logp, -1)), smoothing));
    return tf.mul(perRow, tf.cast(valid, 'float32'));
  });
}
