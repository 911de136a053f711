// The time loop of the whole-sequence ops, for a range of batch rows [b0, b1). A batch's rows
// never mix in a recurrent layer (each row's state depends on its own inputs only), so the rows
// split between threads with no synchronisation inside the loop: each thread runs every step on
// its own rows, reading the shared packed weights. The driver (src/ops/sequence-module.ts) lays
// out the blocks and calls this once per thread; one thread calls it with [0, B).
//
// Cells by number: 0 LSTM, 1 GRU, 2 RNN (src/module/cells.ts). Blocks, all [T, B, …] in time order:
//   xp, offs   the input projections: row r of step t at xp + 4·offs[t·B + r]
//   hs, cs     h (and c, LSTM) after each step; h0, c0 [B, Hp] before the first
//   saved      [T, B, S·Hp] what each step's backward needs (S: 5 LSTM, 4 GRU, 0 RNN)
//   pre        [B, G·Hp] scratch: h'·W_hhᵀ of the current step
//   dOut       the output's gradient; dh, dc [B, Hp] the carried state's (in: the final state's)
//   dGi, dGh   [T, B, G·Hp] the pre-activation gradients (dGh = dGi but for the GRU)

import { gemm } from './gemm';
import { gruBackward, gruForward, lstmBackward, lstmForward, rnnBackward, rnnForward } from './cells';

@inline
function gatesOf(kind: i32): i32 {
  return kind === 0 ? 4 : kind === 1 ? 3 : 1;
}

@inline
function savedOf(kind: i32): i32 {
  return kind === 0 ? 5 : kind === 1 ? 4 : 0;
}

/** The step processed before step t of a run in `reverse` or time order whose s-th step is t (-1: none). */
@inline
function previous(s: i32, T: i32, reverse: i32): i32 {
  if (s === 0) return -1;
  return reverse !== 0 ? T - s : s - 1;
}

/**
 * Forward over every step for rows [b0, b1): pre = h'·W_hhᵀ (whh: W_hhᵀ packed [Hp, G·Hp]), then
 * the cell's forward step into hs, cs and saved.
 */
export function sequenceForward(
  kind: i32, xp: usize, offs: usize, bias: usize, whh: usize, h0: usize, c0: usize,
  hs: usize, cs: usize, saved: usize, pre: usize,
  T: i32, B: i32, Hp: i32, b0: i32, b1: i32, reverse: i32, flag: i32,
): void {
  const rows = b1 - b0;
  if (rows <= 0) return;
  const G = gatesOf(kind);
  const rowH = <usize>Hp << 2;
  const rowN = <usize>(G * Hp) << 2;
  const rowS = <usize>(savedOf(kind) * Hp) << 2;
  const step = <usize>B * rowH;
  const r0 = <usize>b0;
  const preR = pre + r0 * rowN;
  for (let s = 0; s < T; s++) {
    const t = reverse !== 0 ? T - 1 - s : s;
    const tp = previous(s, T, reverse);
    const hPrev = (tp < 0 ? h0 : hs + <usize>tp * step) + r0 * rowH;
    const cPrev = kind !== 0 ? 0 : (tp < 0 ? c0 : cs + <usize>tp * step) + r0 * rowH;
    const h = hs + <usize>t * step + r0 * rowH;
    const c = kind !== 0 ? 0 : cs + <usize>t * step + r0 * rowH;
    const sv = saved + (<usize>t * <usize>B + r0) * rowS;
    const o = offs + ((<usize>t * <usize>B + r0) << 2);
    gemm(hPrev, whh, preR, rows, Hp, (G * Hp) >> 3, 0);
    if (kind === 0) lstmForward(preR, xp, o, bias, hPrev, cPrev, h, c, sv, rows, Hp, flag);
    else if (kind === 1) gruForward(preR, xp, o, bias, hPrev, cPrev, h, c, sv, rows, Hp, flag);
    else rnnForward(preR, xp, o, bias, hPrev, cPrev, h, c, sv, rows, Hp, flag);
  }
}

/**
 * Backpropagation through time for rows [b0, b1): per step, last first, the cell's backward step
 * into dGi, dGh, then dh (+)= dGh·W_hh (whh: W_hh packed [G·Hp, Hp]; the GRU's step leaves its
 * direct part in dh and the product adds to it). dh, dc end as the initial state's gradients.
 */
export function sequenceBackward(
  kind: i32, whh: usize, dOut: usize, dh: usize, dc: usize, saved: usize, h0: usize, c0: usize,
  hs: usize, cs: usize, dGi: usize, dGh: usize,
  T: i32, B: i32, Hp: i32, b0: i32, b1: i32, reverse: i32, flag: i32,
): void {
  const rows = b1 - b0;
  if (rows <= 0) return;
  const G = gatesOf(kind);
  const N = G * Hp;
  const rowH = <usize>Hp << 2;
  const rowN = <usize>N << 2;
  const rowS = <usize>(savedOf(kind) * Hp) << 2;
  const step = <usize>B * rowH;
  const r0 = <usize>b0;
  const dhR = dh + r0 * rowH;
  const dcR = kind !== 0 ? 0 : dc + r0 * rowH;
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse !== 0 ? T - 1 - s : s;
    const tp = previous(s, T, reverse);
    const hPrev = (tp < 0 ? h0 : hs + <usize>tp * step) + r0 * rowH;
    const cPrev = kind !== 0 ? 0 : (tp < 0 ? c0 : cs + <usize>tp * step) + r0 * rowH;
    const h = hs + <usize>t * step + r0 * rowH;
    const d = dOut + <usize>t * step + r0 * rowH;
    const sv = saved + (<usize>t * <usize>B + r0) * rowS;
    const gi = dGi + (<usize>t * <usize>B + r0) * rowN;
    const gh = dGh + (<usize>t * <usize>B + r0) * rowN;
    if (kind === 0) lstmBackward(d, dhR, dcR, sv, hPrev, cPrev, h, gi, gh, rows, Hp, flag);
    else if (kind === 1) gruBackward(d, dhR, dcR, sv, hPrev, cPrev, h, gi, gh, rows, Hp, flag);
    else rnnBackward(d, dhR, dcR, sv, hPrev, cPrev, h, gi, gh, rows, Hp, flag);
    gemm(gh, whh, dhR, rows, N, Hp >> 3, kind === 1 ? 1 : 0);
  }
}
