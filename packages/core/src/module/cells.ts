// What each recurrent cell brings to our module: its kernels (assembly/cells.ts) and the shape of
// its weights there. Everything else (the time loop, memory, gradients through time) is written
// once, for every cell, by the sequence driver (ops/sequence-module.ts) and generation's resident
// weights (resident.ts).
//
// Layout: H is padded to Hp (a multiple of 8, zeros past H) inside every gate block, so the
// products' results ([B, G·Hp]) are whole panels and the gate math runs on whole SIMD vectors
// for any hidden size.
import type { CellBackward, CellForward, ModuleExports } from './abi';
import { packRightFrom, type PackedRight } from './gemm';
import type { ModuleMemory } from './memory';

export type CellKind = 'lstm' | 'gru' | 'rnn';

export interface Cell {
  kind: CellKind;
  /** Its number in the module's sequence loops (assembly/sequence.ts). */
  index: number;
  /** Gate blocks of the weights: wIh [G·H, I], wHh [G·H, H]. */
  gates: number;
  /** Blocks of the bias its forward step adds (LSTM, RNN: G; GRU: 4, the n gate's halves apart). */
  biasBlocks: number;
  /** Blocks of Hp per row its forward step saves for backward. */
  savedBlocks: number;
  /** Has a cell state c beside h (LSTM). */
  cellState: boolean;
  /** Its hidden side's pre-activation gradients differ from the input side's (GRU: r scales W_hn h). */
  hiddenGrads: boolean;
  /** Its backward step leaves in dh the part of the previous state's gradient that skips W_hh (GRU's z·h'). */
  directGrad: boolean;
  forward(fns: ModuleExports): CellForward;
  backward(fns: ModuleExports): CellBackward;
}

export const CELLS: Readonly<Record<CellKind, Cell>> = {
  lstm: {
    kind: 'lstm',
    index: 0,
    gates: 4,
    biasBlocks: 4,
    savedBlocks: 5,
    cellState: true,
    hiddenGrads: false,
    directGrad: false,
    forward: (f) => f.lstmForward,
    backward: (f) => f.lstmBackward,
  },
  gru: {
    kind: 'gru',
    index: 1,
    gates: 3,
    biasBlocks: 4,
    savedBlocks: 4,
    cellState: false,
    hiddenGrads: true,
    directGrad: true,
    forward: (f) => f.gruForward,
    backward: (f) => f.gruBackward,
  },
  rnn: {
    kind: 'rnn',
    index: 2,
    gates: 1,
    biasBlocks: 1,
    savedBlocks: 0,
    cellState: false,
    hiddenGrads: false,
    directGrad: false,
    forward: (f) => f.rnnForward,
    backward: (f) => f.rnnBackward,
  },
};

/** H padded to whole panels (a multiple of 8). */
export function paddedSize(H: number): number {
  return Math.ceil(H / 8) * 8;
}

/**
 * Writes `rows` rows of `width` values from `src` into the memory at float index `at`, `stride`
 * floats apart, zeros in between (stride ≥ width).
 */
export function putRows(
  f32: Float32Array,
  at: number,
  src: ArrayLike<number>,
  rows: number,
  width: number,
  stride: number,
): void {
  if (width === stride && src instanceof Float32Array) {
    f32.set(src.subarray(0, rows * width), at);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const o = at + r * stride;
    if (src instanceof Float32Array) f32.set(src.subarray(r * width, (r + 1) * width), o);
    else for (let j = 0; j < width; j++) f32[o + j] = src[r * width + j]!;
    f32.fill(0, o + width, o + stride);
  }
}

/** The first `width` values of `rows` rows at float index `at`, `stride` apart, into `out` (default: a new array). */
export function getRows(
  f32: Float32Array,
  at: number,
  rows: number,
  width: number,
  stride: number,
  out: Float32Array = new Float32Array(rows * width),
): Float32Array {
  if (width === stride) out.set(f32.subarray(at, at + rows * width));
  else
    for (let r = 0; r < rows; r++)
      out.set(f32.subarray(at + r * stride, at + r * stride + width), r * width);
  return out;
}

/**
 * The bias a cell's forward step adds, [biasBlocks·H]: b_ih + b_hh, but for the GRU r and z
 * summed, then b_in and b_hn apart (n = tanh(W_in x + b_in + r·(W_hn h + b_hn))). Null biases count as 0.
 */
export function cellBias(
  cell: Cell,
  bIh: Float32Array | null,
  bHh: Float32Array | null,
  H: number,
): Float32Array {
  const n = cell.gates * H;
  const out = new Float32Array(cell.biasBlocks * H);
  const summed = cell.kind === 'gru' ? 2 * H : n;
  for (let k = 0; k < summed; k++) out[k] = (bIh?.[k] ?? 0) + (bHh?.[k] ?? 0);
  if (cell.kind === 'gru') {
    for (let k = 2 * H; k < n; k++) {
      out[k] = bIh?.[k] ?? 0;
      out[k + H] = bHh?.[k] ?? 0;
    }
  }
  return out;
}

/** The bias of `cell` in a block of [biasBlocks·Hp]. Allocates. */
export function biasBlock(
  mem: ModuleMemory,
  cell: Cell,
  bIh: Float32Array | null,
  bHh: Float32Array | null,
  H: number,
  Hp: number,
): number {
  const at = mem.alloc(cell.biasBlocks * Hp);
  putRows(mem.f32, at >>> 2, cellBias(cell, bIh, bHh, H), cell.biasBlocks, H, Hp);
  return at;
}

/** A weight [G·H, K] with its gate blocks padded to Hp rows and its rows to Kp floats, in a new block. Allocates. */
function paddedWeight(
  mem: ModuleMemory,
  w: Float32Array,
  G: number,
  H: number,
  Hp: number,
  K: number,
  Kp: number,
): number {
  const at = mem.alloc(G * Hp * Kp);
  const f32 = mem.f32;
  for (let g = 0; g < G; g++) {
    putRows(f32, (at >>> 2) + g * Hp * Kp, w.subarray(g * H * K, (g + 1) * H * K), H, K, Kp);
    f32.fill(0, (at >>> 2) + (g * Hp + H) * Kp, (at >>> 2) + (g + 1) * Hp * Kp);
  }
  return at;
}

/**
 * wHh [G·H, H] packed for the time loop: forward, B = W_hhᵀ [Hp, G·Hp] (h·W_hhᵀ); backward,
 * B = W_hh [G·Hp, Hp] (dG·W_hh). Throws a RangeError where the memory cannot grow. Allocates.
 */
export function packHidden(
  mem: ModuleMemory,
  cell: Cell,
  wHh: Float32Array,
  H: number,
  Hp: number,
  direction: 'forward' | 'backward',
): PackedRight {
  const G = cell.gates;
  const raw = paddedWeight(mem, wHh, G, H, Hp, H, Hp); // [G·Hp, Hp]
  const packed =
    direction === 'forward'
      ? packRightFrom(mem, raw, Hp, G * Hp, true)
      : packRightFrom(mem, raw, G * Hp, Hp, false);
  mem.release(raw);
  if (!packed) throw new RangeError('packHidden: our module cannot grow its memory for the weight');
  return packed;
}

/** wIh [G·H, I] packed as B = W_ihᵀ [I, G·Hp] (x·W_ihᵀ). Throws a RangeError where the memory cannot grow. Allocates. */
export function packInput(
  mem: ModuleMemory,
  cell: Cell,
  wIh: Float32Array,
  I: number,
  H: number,
  Hp: number,
): PackedRight {
  const G = cell.gates;
  const raw = paddedWeight(mem, wIh, G, H, Hp, I, I); // [G·Hp, I]
  const packed = packRightFrom(mem, raw, I, G * Hp, true);
  mem.release(raw);
  if (!packed) throw new RangeError('packInput: our module cannot grow its memory for the weight');
  return packed;
}

/**
 * wIh [G·H, I] as a table of rows W_ihᵀ [I, G·Hp] (row i: the input projection of a one-hot
 * vector at i, looked up instead of multiplied). Allocates.
 */
export function inputTable(
  mem: ModuleMemory,
  cell: Cell,
  wIh: Float32Array,
  I: number,
  H: number,
  Hp: number,
): number {
  const G = cell.gates;
  const N = G * Hp;
  const at = mem.alloc(I * N);
  const f32 = mem.f32;
  const t0 = at >>> 2;
  if (Hp !== H) f32.fill(0, t0, t0 + I * N);
  for (let g = 0; g < G; g++) {
    for (let j = 0; j < H; j++) {
      const src = (g * H + j) * I;
      const col = t0 + g * Hp + j;
      for (let i = 0; i < I; i++) f32[col + i * N] = wIh[src + i]!;
    }
  }
  return at;
}
