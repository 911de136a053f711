// The element-wise parts of the whole-sequence LSTM (forward and backward through time) in
// WebAssembly SIMD: gate nonlinearities, cell update and gate gradients, plus the column sums
// and the scatter-add of the weight gradients. The products stay with XNNPACK (tfjs); the JS
// side (packages/core/src/ops/lstm-sequence.ts) copies each step's product in and h (or the
// gate gradients) out. Every function takes byte offsets into this module's memory, H a multiple
// of 4, and allocates nothing.

import { sigmoidv, tanhv } from './math';

/**
 * One forward step for B rows: with p = pre + xp[row] + bias (pre = h·W_hhᵀ [B, 4H]; xp rows at
 * byte offsets xpv + 4·offs[b]), i, f, o = σ(p), g = tanh(p), c = f c' + i g, h = o tanh(c).
 * Writes acts [B, 4H] (i, f, g, o), c, tanh(c) and h [B, H].
 */
export function lstmForwardStep(
  pre: usize, xpv: usize, offs: usize, bias: usize, cPrev: usize,
  acts: usize, cs: usize, tcs: usize, hs: usize, B: i32, H: i32,
): void {
  const gate = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const row = <usize>b * (gate << 2);
    const pb = pre + row;
    const xb = xpv + (<usize>load<i32>(offs + (<usize>b << 2)) << 2);
    const ab = acts + row;
    const sb = <usize>b * gate;
    for (let j: usize = 0; j < gate; j += 16) {
      const i = sigmoidv(f32x4.add(f32x4.add(v128.load(pb + j), v128.load(xb + j)), v128.load(bias + j)));
      const jf = j + gate;
      const f = sigmoidv(f32x4.add(f32x4.add(v128.load(pb + jf), v128.load(xb + jf)), v128.load(bias + jf)));
      const jg = jf + gate;
      const g = tanhv(f32x4.add(f32x4.add(v128.load(pb + jg), v128.load(xb + jg)), v128.load(bias + jg)));
      const jo = jg + gate;
      const o = sigmoidv(f32x4.add(f32x4.add(v128.load(pb + jo), v128.load(xb + jo)), v128.load(bias + jo)));
      const c = f32x4.add(f32x4.mul(f, v128.load(cPrev + sb + j)), f32x4.mul(i, g));
      const tc = tanhv(c);
      v128.store(ab + j, i);
      v128.store(ab + jf, f);
      v128.store(ab + jg, g);
      v128.store(ab + jo, o);
      v128.store(cs + sb + j, c);
      v128.store(tcs + sb + j, tc);
      v128.store(hs + sb + j, f32x4.mul(o, tc));
    }
  }
}

/**
 * One backward step for B rows, from the saved activations: with dh = dOut + dhNext, the cell
 * gradient dc += dh o (1 - tanh²c) and the gate pre-activation gradients di, df, dg, do [B, 4H]
 * into dG; dc becomes dc·f for the step before.
 */
export function lstmBackwardStep(
  dOut: usize, dh: usize, dc: usize, acts: usize, tcs: usize, cPrev: usize, dG: usize, B: i32, H: i32,
): void {
  const gate = <usize>H << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const row = <usize>b * (gate << 2);
    const ab = acts + row;
    const gb = dG + row;
    const sb = <usize>b * gate;
    for (let j: usize = 0; j < gate; j += 16) {
      const dhv = f32x4.add(v128.load(dOut + sb + j), v128.load(dh + sb + j));
      const i = v128.load(ab + j);
      const f = v128.load(ab + gate + j);
      const g = v128.load(ab + 2 * gate + j);
      const o = v128.load(ab + 3 * gate + j);
      const tc = v128.load(tcs + sb + j);
      const dct = f32x4.add(v128.load(dc + sb + j), f32x4.mul(f32x4.mul(dhv, o), f32x4.sub(one, f32x4.mul(tc, tc))));
      v128.store(gb + j, f32x4.mul(f32x4.mul(f32x4.mul(dct, g), i), f32x4.sub(one, i)));
      v128.store(gb + gate + j, f32x4.mul(f32x4.mul(f32x4.mul(dct, v128.load(cPrev + sb + j)), f), f32x4.sub(one, f)));
      v128.store(gb + 2 * gate + j, f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(g, g))));
      v128.store(gb + 3 * gate + j, f32x4.mul(f32x4.mul(f32x4.mul(dhv, tc), o), f32x4.sub(one, o)));
      v128.store(dc + sb + j, f32x4.mul(dct, f));
    }
  }
}

/** out[c] = Σ_r a[r, c] for a [rows, cols] (cols a multiple of 4). */
export function columnSum(a: usize, rows: i32, cols: i32, out: usize): void {
  const rowBytes = <usize>cols << 2;
  memory.fill(out, 0, rowBytes);
  for (let r = 0; r < rows; r++) {
    const ar = a + <usize>r * rowBytes;
    for (let j: usize = 0; j < rowBytes; j += 16) v128.store(out + j, f32x4.add(v128.load(out + j), v128.load(ar + j)));
  }
}

/** acc[ids[r], :] += a[r, :] for r < rows, a [rows, cols] and acc [*, cols] (cols a multiple of 4; acc zeroed by the caller). */
export function scatterAddRows(a: usize, ids: usize, rows: i32, cols: i32, acc: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const ar = a + <usize>r * rowBytes;
    const o = acc + <usize>load<i32>(ids + (<usize>r << 2)) * rowBytes;
    for (let j: usize = 0; j < rowBytes; j += 16) v128.store(o + j, f32x4.add(v128.load(o + j), v128.load(ar + j)));
  }
}

/**
 * One GRU forward step (reset-after, PyTorch) for B rows: with pre = h·W_hhᵀ [B, 3H] (no bias) and
 * xp rows as for the LSTM, r, z = σ(pre + xp + b_i + b_h), hn = pre_n + b_hn,
 * n = tanh(xp_n + b_in + r·hn), h = n + z (h' − n). Writes acts [B, 4H] (r, z, n, hn) and h [B, H].
 */
export function gruForwardStep(
  pre: usize, xpv: usize, offs: usize, bi: usize, bh: usize, hPrev: usize,
  acts: usize, hs: usize, B: i32, H: i32,
): void {
  const gate = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const pb = pre + <usize>b * 3 * gate;
    const xb = xpv + (<usize>load<i32>(offs + (<usize>b << 2)) << 2);
    const ab = acts + <usize>b * 4 * gate;
    const sb = <usize>b * gate;
    for (let j: usize = 0; j < gate; j += 16) {
      const jz = j + gate;
      const jn = jz + gate;
      const r = sigmoidv(f32x4.add(f32x4.add(v128.load(pb + j), v128.load(xb + j)), f32x4.add(v128.load(bi + j), v128.load(bh + j))));
      const z = sigmoidv(f32x4.add(f32x4.add(v128.load(pb + jz), v128.load(xb + jz)), f32x4.add(v128.load(bi + jz), v128.load(bh + jz))));
      const hn = f32x4.add(v128.load(pb + jn), v128.load(bh + jn));
      const n = tanhv(f32x4.add(f32x4.add(v128.load(xb + jn), v128.load(bi + jn)), f32x4.mul(r, hn)));
      v128.store(ab + j, r);
      v128.store(ab + jz, z);
      v128.store(ab + jn, n);
      v128.store(ab + jn + gate, hn);
      v128.store(hs + sb + j, f32x4.add(n, f32x4.mul(z, f32x4.sub(v128.load(hPrev + sb + j), n))));
    }
  }
}

/**
 * One GRU backward step for B rows: with dh = dOut + dhMatmul + direct, the input-side gradients
 * dGi [B, 3H] (r, z, n pre-activations), the hidden-side dGh [B, 3H] (r, z, W_hn h + b_hn), and
 * direct = dh·z (the part of the previous state's gradient that skips the product).
 */
export function gruBackwardStep(
  dOut: usize, dh: usize, direct: usize, acts: usize, hPrev: usize, dGi: usize, dGh: usize, B: i32, H: i32,
): void {
  const gate = <usize>H << 2;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const ab = acts + <usize>b * 4 * gate;
    const ib = dGi + <usize>b * 3 * gate;
    const hb = dGh + <usize>b * 3 * gate;
    const sb = <usize>b * gate;
    for (let j: usize = 0; j < gate; j += 16) {
      const dhv = f32x4.add(f32x4.add(v128.load(dOut + sb + j), v128.load(dh + sb + j)), v128.load(direct + sb + j));
      const r = v128.load(ab + j);
      const z = v128.load(ab + gate + j);
      const n = v128.load(ab + 2 * gate + j);
      const hn = v128.load(ab + 3 * gate + j);
      const dnPre = f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
      const dzPre = f32x4.mul(f32x4.mul(f32x4.mul(dhv, f32x4.sub(v128.load(hPrev + sb + j), n)), z), f32x4.sub(one, z));
      const drPre = f32x4.mul(f32x4.mul(f32x4.mul(dnPre, hn), r), f32x4.sub(one, r));
      v128.store(ib + j, drPre);
      v128.store(ib + gate + j, dzPre);
      v128.store(ib + 2 * gate + j, dnPre);
      v128.store(hb + j, drPre);
      v128.store(hb + gate + j, dzPre);
      v128.store(hb + 2 * gate + j, f32x4.mul(dnPre, r));
      v128.store(direct + sb + j, f32x4.mul(dhv, z));
    }
  }
}

/** One plain-RNN forward step for B rows: h = act(pre + xp[row] + bias), act tanh or (relu = 1) relu; writes h [B, H]. */
export function rnnForwardStep(pre: usize, xpv: usize, offs: usize, bias: usize, hs: usize, B: i32, H: i32, relu: i32): void {
  const gate = <usize>H << 2;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const sb = <usize>b * gate;
    const xb = xpv + (<usize>load<i32>(offs + (<usize>b << 2)) << 2);
    for (let j: usize = 0; j < gate; j += 16) {
      const z = f32x4.add(f32x4.add(v128.load(pre + sb + j), v128.load(xb + j)), v128.load(bias + j));
      v128.store(hs + sb + j, relu !== 0 ? f32x4.max(z, zero) : tanhv(z));
    }
  }
}

/** One plain-RNN backward step for n = B·H values: dG = (dOut + dh) · act'(h), from the outputs h. */
export function rnnBackwardStep(dOut: usize, dh: usize, hs: usize, dG: usize, n: i32, relu: i32): void {
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0);
  const bytes = <usize>n << 2;
  for (let j: usize = 0; j < bytes; j += 16) {
    const d = f32x4.add(v128.load(dOut + j), v128.load(dh + j));
    const y = v128.load(hs + j);
    const g = relu !== 0 ? v128.and(d, f32x4.gt(y, zero)) : f32x4.mul(d, f32x4.sub(one, f32x4.mul(y, y)));
    v128.store(dG + j, g);
  }
}
