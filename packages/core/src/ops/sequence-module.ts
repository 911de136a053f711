// The whole-sequence ops on our module: one driver for the three cells. The time loop, the blocks
// a forward pass holds for its backward pass (only while a gradient tape records), and
// backpropagation through time are written here once; a cell supplies its forward and backward
// steps and the shape of its weights (module/cells.ts, assembly/cells.ts).
//
// Forward: the input projections of every step in one product (or, for token ids, a row lookup),
// then the time loop in the module (assembly/sequence.ts): per step h'·W_hhᵀ on our GEMM and the
// cell's forward step. Backward: the module's loop, per step the cell's backward step (no
// transcendental functions: it reuses the saved activations) and dG·W_hh; the weight gradients
// once per sequence as single products over all steps, in the module where the gate gradients
// and the states lie (dGᵀ read in place: no transposed copy, no round trip through tensors).
// With threads, the time loops split by batch rows (rows never mix in a recurrent layer, so the
// threads need no synchronisation inside the loop) and the products by rows or panels
// (module/gemm.ts): the same bits as one thread.
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { tf, type Tensor } from '../runtime/tf';
import {
  CELLS,
  biasBlock,
  getRows,
  inputTable,
  packHidden,
  packInput,
  paddedSize,
  type Cell,
  type CellKind,
} from '../module/cells';
import { gemm, gemmTransposedA, packRightFrom, stride, type PackedRight } from '../module/gemm';
import { moduleMemory, type ModuleMemory } from '../module/memory';
import { threadChunks } from '../module/route';
import { isRecording, runKernelOp, type GradientMap, type KernelOp } from './kernel-op';
import { putTensor, readValues, tensorFromModule } from './module-io';

/** Sizes of one call: T steps, B rows, I inputs, H units (Hp padded), N = G·Hp gate columns. */
interface Dims {
  T: number;
  B: number;
  I: number;
  H: number;
  Hp: number;
  N: number;
}

function dimsOf(cell: Cell, x: Tensor, wIh: Tensor, wHh: Tensor): Dims {
  const H = wHh.shape[1]!;
  const Hp = paddedSize(H);
  return { T: x.shape[0]!, B: x.shape[1]!, I: wIh.shape[1]!, H, Hp, N: cell.gates * Hp };
}

/** What a forward pass keeps for its backward pass: blocks of the module's memory, byte offsets. */
interface Held {
  /** The memory the blocks are in (the threads setting may change before backward). */
  mem: ModuleMemory;
  /**
   * [T + 1, B, Hp]: h0 and h after each step, laid out so that the states each step started
   * from are T·B consecutive rows in time order (`hPrev`): h0 first, or last for a reversed run.
   */
  states: number;
  hs: number; // [T, B, Hp] h after each step (the output), inside `states`
  h0: number; // [B, Hp], inside `states`
  hPrev: number; // [T, B, Hp] the state each step started from, in time order, inside `states`
  cs: number; // [T, B, Hp] c after each step (LSTM), else 0
  saved: number; // [T, B, S·Hp] the cell's saved activations, or 0
  c0: number; // [B, Hp] (LSTM), else 0
  ids: Int32Array | null;
}

/**
 * Held blocks by the call's attributes: the engine hands the same object to the kernel and,
 * from the tape, to the gradient (saved tensors are copies on the wasm backend, new data ids).
 */
const heldByCall = new WeakMap<NamedAttrMap, Held>();

function blocksOf(h: Held): number[] {
  return [h.states, h.cs, h.saved, h.c0].filter((b) => b !== 0);
}

/** Byte offsets of step t's rows in a [T, B, width] block. */
function at(block: number, t: number, B: number, width: number): number {
  return block + 4 * t * B * width;
}

/** The step processed before the s-th one (-1 for the first), in time order. */
function stepOrder(
  T: number,
  reverse: boolean,
): { t: (s: number) => number; prev: (s: number) => number } {
  const t = (s: number): number => (reverse ? T - 1 - s : s);
  return { t, prev: (s) => (s === 0 ? -1 : t(s - 1)) };
}

/**
 * Chunks of batch rows for a time loop of `work` multiply-adds, and their grain: two per thread
 * at most (each chunk runs every step on its rows, reading all of W_hh per step, so smaller
 * chunks read it more often), in whole 4-row tiles where the batch allows.
 */
function rowSplit(mem: ModuleMemory, B: number, work: number): { chunks: number; grain: number } {
  const chunks = Math.min(B, threadChunks(mem, work, 2));
  return { chunks, grain: B >= 4 * chunks ? 4 : 1 };
}

function forward(cell: Cell, inputs: Record<string, Tensor>, attrs: NamedAttrMap): Tensor[] {
  const mem = moduleMemory()!;
  const { x, h0, c0, wIh, wHh, bIh, bHh } = inputs as Record<string, Tensor>;
  const d = dimsOf(cell, x!, wIh!, wHh!);
  const { T, B, I, H, Hp, N } = d;
  const BH = B * Hp;
  const S = cell.savedBlocks * Hp;
  const order = stepOrder(T, attrs.reverse === true);
  const ids = x!.dtype === 'int32' ? (x!.dataSync() as Int32Array) : null;
  // Every allocation first: growing the memory detaches the views taken after.
  const whh = packHidden(mem, cell, readValues(wHh!), H, Hp, 'forward'); // h'·W_hhᵀ
  const bias = biasBlock(
    mem,
    cell,
    bIh ? readValues(bIh) : null,
    bHh ? readValues(bHh) : null,
    H,
    Hp,
  );
  const offs = mem.alloc(T * B); // row r of the input projections starts at xp + 4·offs[r]
  let wih: PackedRight | null = null;
  let xIn = 0;
  let xp: number;
  if (ids)
    xp = inputTable(mem, cell, readValues(wIh!), I, H, Hp); // [I, N]: a row per token
  else {
    wih = packInput(mem, cell, readValues(wIh!), I, H, Hp);
    xIn = mem.alloc(T * B * I);
    xp = mem.alloc(T * B * N);
  }
  const pre = mem.alloc(B * N);
  const states = mem.alloc((T + 1) * BH);
  const first = states + 4 * BH; // the second row block
  const last = states + 4 * T * BH;
  const reversed = attrs.reverse === true;
  const held: Held = {
    mem,
    states,
    hs: reversed ? states : first,
    h0: reversed ? last : states,
    hPrev: reversed ? first : states,
    cs: cell.cellState ? mem.alloc(T * BH) : 0,
    saved: S > 0 ? mem.alloc(T * B * S) : 0,
    c0: cell.cellState ? mem.alloc(BH) : 0,
    ids,
  };
  const i32 = mem.i32;
  for (let r = 0; r < T * B; r++) i32[(offs >>> 2) + r] = (ids ? ids[r]! : r) * N;
  if (!ids) {
    putTensor(mem, xIn, x!, T * B, I, I);
    gemm(mem, xIn, wih!, xp, T * B); // [T·B, N] all steps' x·W_ihᵀ
  }
  putTensor(mem, held.h0, h0!, B, H, Hp);
  if (cell.cellState) putTensor(mem, held.c0, c0!, B, H, Hp);
  const reverse = attrs.reverse === true ? 1 : 0;
  const flag = attrs.relu === true ? 1 : 0;
  const { chunks, grain } = rowSplit(mem, B, T * B * Hp * N);
  mem.parallel('sequenceForward', B, chunks, grain, (b0, b1) => [
    cell.index,
    xp,
    offs,
    bias,
    whh.at,
    held.h0,
    held.c0,
    held.hs,
    held.cs,
    held.saved,
    pre,
    T,
    B,
    Hp,
    b0,
    b1,
    reverse,
    flag,
  ]);
  const tl = order.t(T - 1);
  const output = tensorFromModule(mem, held.hs, [T, B, H], T * B, H, Hp);
  const outs = [output, tensorFromModule(mem, at(held.hs, tl, B, Hp), [B, H], B, H, Hp)];
  if (cell.cellState) outs.push(tensorFromModule(mem, at(held.cs, tl, B, Hp), [B, H], B, H, Hp));
  mem.release(whh.at, bias, offs, xp, pre, ...(wih ? [wih.at, xIn] : []));
  if (attrs.recording === true) {
    heldByCall.set(attrs, held);
    mem.hold(attrs, blocksOf(held));
  } else mem.release(...blocksOf(held));
  return outs;
}

function backward(cell: Cell, dys: Tensor[], saved: Tensor[], attrs: NamedAttrMap): GradientMap {
  const [x, wIh, wHh] = saved as [Tensor, Tensor, Tensor];
  const held = heldByCall.get(attrs);
  if (!held)
    throw new Error(
      `${cell.kind}Sequence: the forward pass kept nothing for its gradient (was it recorded?)`,
    );
  heldByCall.delete(attrs);
  const mem = held.mem;
  const d = dimsOf(cell, x, wIh, wHh);
  const { T, B, I, H, Hp, N } = d;
  const BH = B * Hp;
  const G = cell.gates;
  const { ids } = held;
  const whh = packHidden(mem, cell, readValues(wHh), H, Hp, 'backward'); // dG·W_hh
  const dOut = mem.alloc(T * BH);
  const dh = mem.alloc(BH);
  const dc = cell.cellState ? mem.alloc(BH) : 0;
  const dGi = mem.alloc(T * B * N); // [T, B, N] the input side's pre-activation gradients
  const dGh = cell.hiddenGrads ? mem.alloc(T * B * N) : dGi; // the hidden side's
  const dbi = mem.alloc(N);
  const dbh = cell.hiddenGrads ? mem.alloc(N) : dbi;
  const idsB = ids ? mem.alloc(T * B) : 0;
  const acc = ids ? mem.alloc(I * N) : 0;
  putTensor(mem, dOut, dys[0]!, T * B, H, Hp);
  putTensor(mem, dh, dys[1]!, B, H, Hp);
  if (cell.cellState) putTensor(mem, dc, dys[2]!, B, H, Hp);
  const { chunks, grain } = rowSplit(mem, B, T * B * Hp * N);
  mem.parallel('sequenceBackward', B, chunks, grain, (b0, b1) => [
    cell.index,
    whh.at,
    dOut,
    dh,
    dc,
    held.saved,
    held.h0,
    held.c0,
    held.hs,
    held.cs,
    dGi,
    dGh,
    T,
    B,
    Hp,
    b0,
    b1,
    attrs.reverse === true ? 1 : 0,
    attrs.relu === true ? 1 : 0,
  ]);
  mem.fns.columnSum(dGi, T * B, N, dbi);
  if (dbh !== dbi) mem.fns.columnSum(dGh, T * B, N, dbh);
  let dWihIds: Float32Array | null = null;
  if (ids) {
    // A one-hot input's weight gradient: rows of dG added up by token id ([I, N]), then [G·H, I].
    mem.i32.set(ids, idsB >>> 2);
    mem.f32.fill(0, acc >>> 2, (acc >>> 2) + I * N);
    mem.fns.scatterAddRows(dGi, idsB, T * B, N, acc);
    const a = mem.view(acc, I * N);
    dWihIds = new Float32Array(G * H * I);
    for (let g = 0; g < G; g++)
      for (let j = 0; j < H; j++)
        for (let i = 0; i < I; i++) dWihIds[(g * H + j) * I + i] = a[i * N + g * Hp + j]!;
  }
  // The weight gradients over all steps at once, in the module: dW_hh = dGhᵀ·hPrev [N, Hp] and,
  // for vectors x, dW_ih = dGiᵀ·x [N, I], summed over the T·B rows in time order.
  const packedPrev = packRightFrom(mem, held.hPrev, T * B, Hp, false);
  const dWhhB = mem.alloc(N * Hp);
  const xB = ids ? 0 : mem.alloc(T * B * I);
  const dWihB = ids ? 0 : mem.alloc(N * stride(I));
  if (!packedPrev) throw new RangeError(`${cell.kind}Sequence: our module cannot grow its memory`);
  gemmTransposedA(mem, dGh, N, packedPrev, dWhhB, N);
  let packedX: PackedRight | null = null;
  if (!ids) {
    putTensor(mem, xB, x, T * B, I, I);
    packedX = packRightFrom(mem, xB, T * B, I, false);
    if (!packedX) throw new RangeError(`${cell.kind}Sequence: our module cannot grow its memory`);
    gemmTransposedA(mem, dGi, N, packedX, dWihB, N);
  }
  const f32 = mem.f32;
  const dh0 = getRows(f32, dh >>> 2, B, H, Hp);
  const dc0 = cell.cellState ? getRows(f32, dc >>> 2, B, H, Hp) : null;
  const dbIh = getRows(f32, dbi >>> 2, G, H, Hp);
  const dbHh = dbh === dbi ? dbIh : getRows(f32, dbh >>> 2, G, H, Hp);
  /** The G·H real rows of an [N, width] result (`rowStride` floats apart). */
  const gateRows = (block: number, width: number, rowStride: number): Float32Array => {
    const out = new Float32Array(G * H * width);
    for (let g = 0; g < G; g++)
      getRows(
        f32,
        (block >>> 2) + g * Hp * rowStride,
        H,
        width,
        rowStride,
        out.subarray(g * H * width, (g + 1) * H * width),
      );
    return out;
  };
  const dWhh = gateRows(dWhhB, H, Hp);
  const dWih = dWihIds ?? gateRows(dWihB, I, stride(I));
  const dGin = ids ? null : tensorFromModule(mem, dGi, [T * B, G * H], T * B * G, H, Hp); // [T·B, G·H]
  mem.release(
    whh.at,
    dOut,
    dh,
    dGi,
    dbi,
    packedPrev.at,
    dWhhB,
    ...(cell.cellState ? [dc] : []),
    ...(dGh !== dGi ? [dGh, dbh] : []),
    ...(ids ? [idsB, acc] : [xB, dWihB, packedX!.at]),
  );
  mem.drop(attrs, blocksOf(held));
  return {
    x: () => (dGin ? tf.reshape(tf.matMul(dGin, wIh), [T, B, I]) : tf.zeros([T, B])), // [T·B, G·H]·[G·H, I]
    h0: () => tf.tensor(dh0, [B, H], 'float32'),
    c0: () => tf.tensor(dc0!, [B, H], 'float32'),
    wIh: () => tf.tensor(dWih, [G * H, I], 'float32'),
    wHh: () => tf.tensor(dWhh, [G * H, H], 'float32'),
    bIh: () => tf.tensor(dbIh.slice(), [G * H], 'float32'),
    bHh: () => tf.tensor(dbHh.slice(), [G * H], 'float32'),
  };
}

const KERNEL_NAMES: Record<CellKind, string> = {
  lstm: 'RecurrentLstmSequence',
  gru: 'RecurrentGruSequence',
  rnn: 'RecurrentRnnSequence',
};

const kernels = new Map<CellKind, KernelOp>();

function kernelOf(kind: CellKind): KernelOp {
  let k = kernels.get(kind);
  if (!k) {
    const cell = CELLS[kind];
    k = {
      name: KERNEL_NAMES[kind],
      inputsToSave: ['x', 'wIh', 'wHh'],
      outputsToSave: [],
      forward: (inputs, attrs) => forward(cell, inputs, attrs),
      backward: (dys, saved, attrs) => backward(cell, dys, saved, attrs),
    };
    kernels.set(kind, k);
  }
  return k;
}

/**
 * Runs a whole-sequence op on our module (arguments already checked, the route decided): outputs
 * [T, B, H], the final h [B, H] and, for the LSTM, c [B, H]. Differentiable in every input.
 */
export function runSequenceOnModule(
  kind: CellKind,
  inputs: Record<string, Tensor>,
  reverse: boolean,
  relu: boolean,
): Tensor[] {
  return runKernelOp(kernelOf(kind), inputs, { reverse, relu, recording: isRecording() });
}
