// Composed recurrent step math (PyTorch layouts and gate orders), built from tfjs ops so tfjs
// autograd differentiates it. This is the reference the fused whole-sequence ops are tested
// against, and what the cells use when they need a gradient through a single step.
import { tf, type Tensor } from '../runtime/tf';
import { ShapeError } from '../errors';
import { checkFloatTensor, checkOneOf, checkRank } from '../validate';

/** The nonlinearity of a plain (Elman) RNN, as PyTorch's `nonlinearity`. */
export type RnnNonlinearity = 'tanh' | 'relu';

/** LSTM state after one step. */
export type LstmStepResult = {
  h: Tensor; // [B, H]
  c: Tensor; // [B, H]
};

/**
 * Input projection `x · wIhᵀ + bIh` for any number of leading dimensions.
 * x [..., I], wIh [G*H, I], bIh [G*H] or null -> [..., G*H].
 */
export function projectInput(x: Tensor, wIh: Tensor, bIh: Tensor | null): Tensor {
  const fn = 'projectInput';
  checkFloatTensor(fn, 'x', x);
  checkRank(fn, 'wIh', wIh, 2);
  const inSize = wIh.shape[1]!;
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== inSize) {
    throw new ShapeError({
      fn,
      argument: 'x',
      expected: `a tensor whose last dimension is ${inSize}`,
      received: [...x.shape],
    });
  }
  checkBias(fn, 'bIh', bIh, wIh.shape[0]!);
  return tf.tidy(() => {
    const lead = x.shape.slice(0, -1);
    const x2 = tf.reshape(x, [-1, inSize]); // [N, I]
    let y = tf.matMul(x2, wIh, false, true); // [N, G*H]
    if (bIh) y = tf.add(y, bIh);
    return tf.reshape(y, [...lead, wIh.shape[0]!]);
  });
}

/** One Elman RNN step: `h' = act(x wIhᵀ + bIh + h wHhᵀ + bHh)`. Returns h' [B, H]. */
export function rnnCellStep(
  x: Tensor,
  h: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  nonlinearity: RnnNonlinearity = 'tanh',
): Tensor {
  checkStepArgs('rnnCellStep', x, h, wIh, wHh, bIh, bHh, 1);
  checkOneOf('rnnCellStep', 'nonlinearity', nonlinearity, ['tanh', 'relu'] as const);
  return tf.tidy(() => rnnProjectedMath(projectInput(x, wIh, bIh), h, wHh, bHh, nonlinearity));
}

/** One Elman RNN step from a precomputed input projection xProj = x wIhᵀ + bIh [B, H]. */
export function rnnCellStepProjected(
  xProj: Tensor,
  h: Tensor,
  wHh: Tensor,
  bHh: Tensor | null,
  nonlinearity: RnnNonlinearity = 'tanh',
): Tensor {
  checkProjectedArgs('rnnCellStepProjected', xProj, h, wHh, bHh, 1);
  checkOneOf('rnnCellStepProjected', 'nonlinearity', nonlinearity, ['tanh', 'relu'] as const);
  return tf.tidy(() => rnnProjectedMath(xProj, h, wHh, bHh, nonlinearity));
}

/**
 * One LSTM step, gates i, f, g, o: `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')`.
 * x [B, I], h and c [B, H], wIh [4H, I], wHh [4H, H], biases [4H] or null.
 */
export function lstmCellStep(
  x: Tensor,
  h: Tensor,
  c: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
): LstmStepResult {
  checkStepArgs('lstmCellStep', x, h, wIh, wHh, bIh, bHh, 4);
  checkState('lstmCellStep', 'c', c, h.shape[0]!, h.shape[1]!);
  return tf.tidy(() => lstmProjectedMath(projectInput(x, wIh, bIh), h, c, wHh, bHh));
}

/** One LSTM step from a precomputed input projection xProj = x wIhᵀ + bIh [B, 4H]. */
export function lstmCellStepProjected(
  xProj: Tensor,
  h: Tensor,
  c: Tensor,
  wHh: Tensor,
  bHh: Tensor | null,
): LstmStepResult {
  checkProjectedArgs('lstmCellStepProjected', xProj, h, wHh, bHh, 4);
  checkState('lstmCellStepProjected', 'c', c, h.shape[0]!, h.shape[1]!);
  return tf.tidy(() => lstmProjectedMath(xProj, h, c, wHh, bHh));
}

/**
 * One GRU step, gates r, z, n (reset applied after the hidden matmul, bias included):
 * `n = tanh(W_in x + b_in + r·(W_hn h + b_hn))`, `h' = (1 − z)·n + z·h`. Returns h' [B, H].
 */
export function gruCellStep(
  x: Tensor,
  h: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
): Tensor {
  checkStepArgs('gruCellStep', x, h, wIh, wHh, bIh, bHh, 3);
  return tf.tidy(() => gruProjectedMath(projectInput(x, wIh, bIh), h, wHh, bHh));
}

/** One GRU step from a precomputed input projection xProj = x wIhᵀ + bIh [B, 3H]. */
export function gruCellStepProjected(
  xProj: Tensor,
  h: Tensor,
  wHh: Tensor,
  bHh: Tensor | null,
): Tensor {
  checkProjectedArgs('gruCellStepProjected', xProj, h, wHh, bHh, 3);
  return tf.tidy(() => gruProjectedMath(xProj, h, wHh, bHh));
}

// ---------------------------------------------------------------------------------------------
// Math (no validation).

function hiddenProjection(h: Tensor, wHh: Tensor, bHh: Tensor | null): Tensor {
  const y = tf.matMul(h, wHh, false, true); // [B, G*H]
  return bHh ? tf.add(y, bHh) : y;
}

function rnnProjectedMath(
  xProj: Tensor,
  h: Tensor,
  wHh: Tensor,
  bHh: Tensor | null,
  nonlinearity: RnnNonlinearity,
): Tensor {
  const pre = tf.add(xProj, hiddenProjection(h, wHh, bHh)); // [B, H]
  return nonlinearity === 'tanh' ? tf.tanh(pre) : tf.relu(pre);
}

function lstmProjectedMath(
  xProj: Tensor,
  h: Tensor,
  c: Tensor,
  wHh: Tensor,
  bHh: Tensor | null,
): LstmStepResult {
  const gates = tf.add(xProj, hiddenProjection(h, wHh, bHh)); // [B, 4H]
  const [gi, gf, gg, go] = tf.split(gates, 4, 1) as [Tensor, Tensor, Tensor, Tensor];
  const c1 = tf.add(tf.mul(tf.sigmoid(gf), c), tf.mul(tf.sigmoid(gi), tf.tanh(gg))); // [B, H]
  const h1 = tf.mul(tf.sigmoid(go), tf.tanh(c1)); // [B, H]
  return { h: h1, c: c1 };
}

function gruProjectedMath(xProj: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor | null): Tensor {
  const hProj = hiddenProjection(h, wHh, bHh); // [B, 3H]
  const [xr, xz, xn] = tf.split(xProj, 3, 1) as [Tensor, Tensor, Tensor];
  const [hr, hz, hn] = tf.split(hProj, 3, 1) as [Tensor, Tensor, Tensor];
  const r = tf.sigmoid(tf.add(xr, hr));
  const z = tf.sigmoid(tf.add(xz, hz));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  return tf.add(n, tf.mul(z, tf.sub(h, n))); // (1 − z)·n + z·h
}

// ---------------------------------------------------------------------------------------------
// Validation (before any tensor is made).

/** Throws a ShapeError unless `b` is null or a [size] vector. */
export function checkBias(fn: string, argument: string, b: Tensor | null, size: number): void {
  if (b === null) return;
  checkFloatTensor(fn, argument, b);
  if (b.shape.length !== 1 || b.shape[0] !== size) {
    throw new ShapeError({
      fn,
      argument,
      expected: `null or of shape [${size}]`,
      received: [...b.shape],
    });
  }
}

/** Throws a ShapeError unless the state `s` is [batch, hidden]. */
export function checkState(
  fn: string,
  argument: string,
  s: Tensor,
  batch: number,
  hidden: number,
): void {
  checkFloatTensor(fn, argument, s);
  if (s.shape.length !== 2 || s.shape[0] !== batch || s.shape[1] !== hidden) {
    throw new ShapeError({
      fn,
      argument,
      expected: `of shape [${batch}, ${hidden}]`,
      received: [...s.shape],
    });
  }
}

function checkRecurrentWeight(fn: string, wHh: Tensor, gates: number): number {
  checkRank(fn, 'wHh', wHh, 2);
  const hidden = wHh.shape[1]!;
  if (wHh.shape[0] !== gates * hidden) {
    throw new ShapeError({
      fn,
      argument: 'wHh',
      expected: `of shape [${gates}*H, H] = [${gates * hidden}, ${hidden}]`,
      received: [...wHh.shape],
    });
  }
  return hidden;
}

function checkStepArgs(
  fn: string,
  x: Tensor,
  h: Tensor,
  wIh: Tensor,
  wHh: Tensor,
  bIh: Tensor | null,
  bHh: Tensor | null,
  gates: number,
): void {
  const hidden = checkRecurrentWeight(fn, wHh, gates);
  checkFloatTensor(fn, 'x', x);
  checkRank(fn, 'x', x, 2);
  checkRank(fn, 'wIh', wIh, 2);
  if (wIh.shape[0] !== gates * hidden || wIh.shape[1] !== x.shape[1]) {
    throw new ShapeError({
      fn,
      argument: 'wIh',
      expected: `of shape [${gates * hidden}, ${x.shape[1]}]`,
      received: [...wIh.shape],
    });
  }
  checkState(fn, 'h', h, x.shape[0]!, hidden);
  checkBias(fn, 'bIh', bIh, gates * hidden);
  checkBias(fn, 'bHh', bHh, gates * hidden);
}

function checkProjectedArgs(
  fn: string,
  xProj: Tensor,
  h: Tensor,
  wHh: Tensor,
  bHh: Tensor | null,
  gates: number,
): void {
  const hidden = checkRecurrentWeight(fn, wHh, gates);
  checkRank(fn, 'xProj', xProj, 2);
  if (xProj.shape[1] !== gates * hidden) {
    throw new ShapeError({
      fn,
      argument: 'xProj',
      expected: `of shape [B, ${gates * hidden}]`,
      received: [...xProj.shape],
    });
  }
  checkState(fn, 'h', h, xProj.shape[0]!, hidden);
  checkBias(fn, 'bHh', bHh, gates * hidden);
}
