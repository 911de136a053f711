// The gate math of the three recurrent cells, 4 lanes at a time: each cell's forward step and
// backward step, nothing else. The time loop, the products and the memory are the TypeScript
// driver's (src/ops/sequence-module.ts); generation runs the same forward steps one at a time
// (src/module/resident.ts).
//
// Every cell has the same arguments, so the driver calls any of them the same way (unused ones
// are ignored). Sizes: B rows, Hp units per gate block (H padded to a multiple of 8 with zeros,
// which stay zero: a zero pre-activation gives h = 0 and c = 0 in every cell, and zero gradients).
//   forward:  pre [B, G·Hp] = h'·W_hhᵀ   xp, offs: row b of the input projection at xp + 4·offs[b]
//             bias [bias blocks · Hp]    hPrev, cPrev [B, Hp] the state before the step
//             h, c [B, Hp] written       saved [B, S·Hp] what backward needs    flag: the RNN's relu
//   backward: dOut [B, Hp] the output's gradient       dh [B, Hp] in: h's gradient from later steps
//             dc [B, Hp] in/out (LSTM)                 saved, hPrev, cPrev, h as in forward
//             dGi [B, G·Hp] the input side's pre-activation gradients, dGh the hidden side's
//             (the GRU's differ; the others write dGi only, and the driver passes dGh = dGi)
// Afterwards the driver sets dh = dGh·W_hh; a cell whose previous state also reaches h directly
// (the GRU's z·h') writes that part into dh first and the product adds to it.

import { sigmoidv, tanhv } from './math';

/**
 * LSTM (gates i, f, g, o): with p = pre + xp + bias, i, f, o = σ(p), g = tanh(p),
 * c = f·c' + i·g, h = o·tanh(c). Saves [B, 5Hp]: i, f, g, o, tanh(c).
 */
export function lstmForward(
  pre: usize, xp: usize, offs: usize, bias: usize, hPrev: usize, cPrev: usize,
  h: usize, c: usize, saved: usize, B: i32, Hp: i32, flag: i32,
): void {
  const gate = <usize>Hp << 2;
  for (let b = 0; b < B; b++) {
    const pb = pre + <usize>b * (gate << 2);
    const xb = xp + (<usize>load<i32>(offs + (<usize>b << 2)) << 2);
    const sb = saved + <usize>b * 5 * gate;
    const ob = <usize>b * gate;
    for (let j: usize = 0; j < gate; j += 16) {
      const i = sigmoidv(f32x4.add(f32x4.add(v128.load(pb + j), v128.load(xb + j)), v128.load(bias + j)));
      const jf = j + gate;
      const f = sigmoidv(f32x4.add(f32x4.add(v128.load(pb + jf), v128.load(xb + jf)), v128.load(bias + jf)));
      const jg = jf + gate;
      const g = tanhv(f32x4.add(f32x4.add(v128.load(pb + jg), v128.load(xb + jg)), v128.load(bias + jg)));
      const jo = jg + gate;
      const o = sigmoidv(f32x4.add(f32x4.add(v128.load(pb + jo), v128.load(xb + jo)), v128.load(bias + jo)));
      const cn = f32x4.add(f32x4.mul(f, v128.load(cPrev + ob + j)), f32x4.mul(i, g));
      const tc = tanhv(cn);
      v128.store(sb + j, i);
      v128.store(sb + jf, f);
      v128.store(sb + jg, g);
      v128.store(sb + jo, o);
      v128.store(sb + jo + gate, tc);
      v128.store(c + ob + j, cn);
      v128.store(h + ob + j, f32x4.mul(o, tc));
    }
  }
}

/**
 * LSTM backward: with dh = dOut + dh, the cell's gradient dc += dh·o·(1 − tanh²c), the gate
 * pre-activation gradients di, df, dg, do into dGi, and dc becomes dc·f for the step before.
 */
export function lstmBackward(
  dOut: usize, dh: usize, dc: usize, saved: usize, hPrev: usize, cPrev: usize,
  h: usize, dGi: usize, dGh: usize, B: i32, Hp: i32, flag: i32,
): void {
  const gate = <usize>Hp << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const sb = saved + <usize>b * 5 * gate;
    const gb = dGi + <usize>b * (gate << 2);
    const ob = <usize>b * gate;
    for (let j: usize = 0; j < gate; j += 16) {
      const dhv = f32x4.add(v128.load(dOut + ob + j), v128.load(dh + ob + j));
      const i = v128.load(sb + j);
      const f = v128.load(sb + gate + j);
      const g = v128.load(sb + 2 * gate + j);
      const o = v128.load(sb + 3 * gate + j);
      const tc = v128.load(sb + 4 * gate + j);
      const dct = f32x4.add(v128.load(dc + ob + j), f32x4.mul(f32x4.mul(dhv, o), f32x4.sub(one, f32x4.mul(tc, tc))));
      v128.store(gb + j, f32x4.mul(f32x4.mul(f32x4.mul(dct, g), i), f32x4.sub(one, i)));
      v128.store(gb + gate + j, f32x4.mul(f32x4.mul(f32x4.mul(dct, v128.load(cPrev + ob + j)), f), f32x4.sub(one, f)));
      v128.store(gb + 2 * gate + j, f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(g, g))));
      v128.store(gb + 3 * gate + j, f32x4.mul(f32x4.mul(f32x4.mul(dhv, tc), o), f32x4.sub(one, o)));
      v128.store(dc + ob + j, f32x4.mul(dct, f));
    }
  }
}

/**
 * GRU, reset-after as PyTorch (gates r, z, n): bias is [4Hp] = b_ir + b_hr, b_iz + b_hz, b_in,
 * b_hn; r, z = σ(pre + xp + bias), hn = pre_n + b_hn, n = tanh(xp_n + b_in + r·hn),
 * h = n + z·(h' − n). Saves [B, 4Hp]: r, z, n, hn.
 */
export function gruForward(
  pre: usize, xp: usize, offs: usize, bias: usize, hPrev: usize, cPrev: usize,
  h: usize, c: usize, saved: usize, B: i32, Hp: i32, flag: i32,
): void {
  const gate = <usize>Hp << 2;
  for (let b = 0; b < B; b++) {
    const pb = pre + <usize>b * 3 * gate;
    const xb = xp + (<usize>load<i32>(offs + (<usize>b << 2)) << 2);
    const sb = saved + <usize>b * 4 * gate;
    const ob = <usize>b * gate;
    for (let j: usize = 0; j < gate; j += 16) {
      const jz = j + gate;
      const jn = jz + gate;
      const jh = jn + gate;
      const r = sigmoidv(f32x4.add(f32x4.add(v128.load(pb + j), v128.load(xb + j)), v128.load(bias + j)));
      const z = sigmoidv(f32x4.add(f32x4.add(v128.load(pb + jz), v128.load(xb + jz)), v128.load(bias + jz)));
      const hn = f32x4.add(v128.load(pb + jn), v128.load(bias + jh));
      const n = tanhv(f32x4.add(f32x4.add(v128.load(xb + jn), v128.load(bias + jn)), f32x4.mul(r, hn)));
      v128.store(sb + j, r);
      v128.store(sb + jz, z);
      v128.store(sb + jn, n);
      v128.store(sb + jh, hn);
      v128.store(h + ob + j, f32x4.add(n, f32x4.mul(z, f32x4.sub(v128.load(hPrev + ob + j), n))));
    }
  }
}

/**
 * GRU backward: with dh = dOut + dh, the input side's gradients dGi (r, z, n pre-activations),
 * the hidden side's dGh (r, z, and W_hn h' + b_hn), and dh = dh·z: the part of the previous
 * state's gradient that skips the product (the driver's product adds dGh·W_hh to it).
 */
export function gruBackward(
  dOut: usize, dh: usize, dc: usize, saved: usize, hPrev: usize, cPrev: usize,
  h: usize, dGi: usize, dGh: usize, B: i32, Hp: i32, flag: i32,
): void {
  const gate = <usize>Hp << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const sb = saved + <usize>b * 4 * gate;
    const ib = dGi + <usize>b * 3 * gate;
    const hb = dGh + <usize>b * 3 * gate;
    const ob = <usize>b * gate;
    for (let j: usize = 0; j < gate; j += 16) {
      const dhv = f32x4.add(v128.load(dOut + ob + j), v128.load(dh + ob + j));
      const r = v128.load(sb + j);
      const z = v128.load(sb + gate + j);
      const n = v128.load(sb + 2 * gate + j);
      const hn = v128.load(sb + 3 * gate + j);
      const dnPre = f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
      const dzPre = f32x4.mul(f32x4.mul(f32x4.mul(dhv, f32x4.sub(v128.load(hPrev + ob + j), n)), z), f32x4.sub(one, z));
      const drPre = f32x4.mul(f32x4.mul(f32x4.mul(dnPre, hn), r), f32x4.sub(one, r));
      v128.store(ib + j, drPre);
      v128.store(ib + gate + j, dzPre);
      v128.store(ib + 2 * gate + j, dnPre);
      v128.store(hb + j, drPre);
      v128.store(hb + gate + j, dzPre);
      v128.store(hb + 2 * gate + j, f32x4.mul(dnPre, r));
      v128.store(dh + ob + j, f32x4.mul(dhv, z));
    }
  }
}

/** Plain RNN: h = act(pre + xp + bias), act tanh or (flag 1) relu. Saves nothing (backward reads h). */
export function rnnForward(
  pre: usize, xp: usize, offs: usize, bias: usize, hPrev: usize, cPrev: usize,
  h: usize, c: usize, saved: usize, B: i32, Hp: i32, flag: i32,
): void {
  const gate = <usize>Hp << 2;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const ob = <usize>b * gate;
    const xb = xp + (<usize>load<i32>(offs + (<usize>b << 2)) << 2);
    for (let j: usize = 0; j < gate; j += 16) {
      const z = f32x4.add(f32x4.add(v128.load(pre + ob + j), v128.load(xb + j)), v128.load(bias + j));
      v128.store(h + ob + j, flag !== 0 ? f32x4.max(z, zero) : tanhv(z));
    }
  }
}

/** Plain RNN backward: dGi = (dOut + dh)·act'(h), from the step's output h. */
export function rnnBackward(
  dOut: usize, dh: usize, dc: usize, saved: usize, hPrev: usize, cPrev: usize,
  h: usize, dGi: usize, dGh: usize, B: i32, Hp: i32, flag: i32,
): void {
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0);
  const bytes = <usize>B * (<usize>Hp << 2);
  for (let j: usize = 0; j < bytes; j += 16) {
    const d = f32x4.add(v128.load(dOut + j), v128.load(dh + j));
    const y = v128.load(h + j);
    v128.store(dGi + j, flag !== 0 ? v128.and(d, f32x4.gt(y, zero)) : f32x4.mul(d, f32x4.sub(one, f32x4.mul(y, y))));
  }
}

/** out[c] = Σ_r a[r, c] for a [rows, cols] (cols a multiple of 4): a bias's gradient. */
export function columnSum(a: usize, rows: i32, cols: i32, out: usize): void {
  const rowBytes = <usize>cols << 2;
  memory.fill(out, 0, rowBytes);
  for (let r = 0; r < rows; r++) {
    const ar = a + <usize>r * rowBytes;
    for (let j: usize = 0; j < rowBytes; j += 16) v128.store(out + j, f32x4.add(v128.load(out + j), v128.load(ar + j)));
  }
}

/**
 * acc[ids[r], :] += a[r, :] for r < rows, a [rows, cols] and acc [*, cols] (cols a multiple of 4;
 * acc zeroed by the caller): a one-hot input's weight gradient.
 */
export function scatterAddRows(a: usize, ids: usize, rows: i32, cols: i32, acc: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const ar = a + <usize>r * rowBytes;
    const o = acc + <usize>load<i32>(ids + (<usize>r << 2)) * rowBytes;
    for (let j: usize = 0; j < rowBytes; j += 16) v128.store(o + j, f32x4.add(v128.load(o + j), v128.load(ar + j)));
  }
}
