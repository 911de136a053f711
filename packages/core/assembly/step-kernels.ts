// The recurrent generation step and the dense head in WebAssembly SIMD (AssemblyScript).
//
// Memory is laid out by the JS side (packages/core/src/wasm/step-kernel.ts): every function takes
// byte offsets into this module's memory and allocates nothing.
//
// Weights are stored in column panels of 16: panel p holds columns 16p..16p+15 of a [K, N]
// weight as K consecutive rows of 16 floats (64 bytes), so a matrix-vector product streams each
// panel once, keeping 16 output columns in registers.
//
// A recurrent layer's weight is [I + H, N]: wIhᵀ (rows 0..I-1) over wHhᵀ (rows I..I+H-1). Gate
// blocks are Hp = H rounded up to 16 columns wide (N = gates * Hp; GRU: r, z, n of the input
// plus b_in, n of the hidden plus b_hn, so N = 4 * Hp), zero-padded. State rows are Hp wide.

const PANEL: i32 = 16;
const PANEL_BYTES: usize = 64;

/** The first free byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

import { expv, sigmoidv, tanhv } from './math';

// The whole-sequence (training) kernels share this module.
export * from './sequence-kernels';
export * from './loss-kernels';
export * from './gemm-kernels';

/** dst[i] = f(src[i]) for i < n (n a multiple of 4): 0 exp, 1 sigmoid, 2 tanh (for accuracy tests). */
export function mapValues(fn: i32, src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const at = <usize>i << 2;
    const x = v128.load(src + at);
    const y = fn === 0 ? expv(x) : fn === 1 ? sigmoidv(x) : tanhv(x);
    v128.store(dst + at, y);
  }
}

// ---------------------------------------------------------------------------------------------
// Products.

/**
 * y[c] += Σ_k x[k] · W[k, c] for the columns of panels p0..p1-1. `w` points at row 0 of panel 0
 * of the rows to use, panels are `panelStride` bytes apart, `x` holds K floats, `y` the outputs
 * (column c at y + 4c). Two rows per iteration keep eight independent sums in flight.
 */
function matvecPanels(w: usize, panelStride: usize, x: usize, K: i32, y: usize, p0: i32, p1: i32): void {
  for (let p = p0; p < p1; p++) {
    let wp = w + <usize>p * panelStride;
    const yp = y + <usize>p * PANEL_BYTES;
    let a0 = v128.load(yp);
    let a1 = v128.load(yp, 16);
    let a2 = v128.load(yp, 32);
    let a3 = v128.load(yp, 48);
    let b0 = f32x4.splat(0);
    let b1 = f32x4.splat(0);
    let b2 = f32x4.splat(0);
    let b3 = f32x4.splat(0);
    let xp = x;
    let k = 0;
    for (; k + 1 < K; k += 2) {
      const s = f32x4.splat(load<f32>(xp));
      const t = f32x4.splat(load<f32>(xp, 4));
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wp)));
      a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wp, 16)));
      a2 = f32x4.add(a2, f32x4.mul(s, v128.load(wp, 32)));
      a3 = f32x4.add(a3, f32x4.mul(s, v128.load(wp, 48)));
      b0 = f32x4.add(b0, f32x4.mul(t, v128.load(wp, 64)));
      b1 = f32x4.add(b1, f32x4.mul(t, v128.load(wp, 80)));
      b2 = f32x4.add(b2, f32x4.mul(t, v128.load(wp, 96)));
      b3 = f32x4.add(b3, f32x4.mul(t, v128.load(wp, 112)));
      wp += 2 * PANEL_BYTES;
      xp += 8;
    }
    if (k < K) {
      const s = f32x4.splat(load<f32>(xp));
      a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wp)));
      a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wp, 16)));
      a2 = f32x4.add(a2, f32x4.mul(s, v128.load(wp, 32)));
      a3 = f32x4.add(a3, f32x4.mul(s, v128.load(wp, 48)));
    }
    v128.store(yp, f32x4.add(a0, b0));
    v128.store(yp, f32x4.add(a1, b1), 16);
    v128.store(yp, f32x4.add(a2, b2), 32);
    v128.store(yp, f32x4.add(a3, b3), 48);
  }
}

/** y[c] += row `row` of the panelled weight, for the columns of panels 0..panels-1 (a one-hot input). */
function addRow(w: usize, panelStride: usize, row: i32, y: usize, panels: i32): void {
  let wp = w + <usize>row * PANEL_BYTES;
  let yp = y;
  for (let p = 0; p < panels; p++) {
    v128.store(yp, f32x4.add(v128.load(yp), v128.load(wp)));
    v128.store(yp, f32x4.add(v128.load(yp, 16), v128.load(wp, 16)), 16);
    v128.store(yp, f32x4.add(v128.load(yp, 32), v128.load(wp, 32)), 32);
    v128.store(yp, f32x4.add(v128.load(yp, 48), v128.load(wp, 48)), 48);
    wp += panelStride;
    yp += PANEL_BYTES;
  }
}

/**
 * A dense layer on B rows: y[b] = bias + x[b] · W with W [K, N] in panels (N a multiple of 16).
 * x rows are K floats apart, y rows N.
 */
export function dense(w: usize, bias: usize, K: i32, N: i32, x: usize, y: usize, B: i32): void {
  const panelStride = <usize>K * PANEL_BYTES;
  const rowBytes = <usize>N << 2;
  for (let b = 0; b < B; b++) {
    const yb = y + <usize>b * rowBytes;
    memory.copy(yb, bias, rowBytes);
    matvecPanels(w, panelStride, x + ((<usize>b * <usize>K) << 2), K, yb, 0, N / PANEL);
  }
}

// ---------------------------------------------------------------------------------------------
// Recurrent steps. Arguments shared by the three cells:
//   w      the [I + H, N] weight in panels       bias  [N]
//   ids    int32 [B] token ids (one-hot input), or 0 to use x
//   x      [B, I] input rows (when ids is 0)     I, H  sizes (Hp = H rounded up to 16)
//   h      [B, Hp] state, updated in place       y     [B, N] scratch for the pre-activations

/** Pre-activations of row b: bias + input projection (row lookup or product) + W_hh h over the hidden panels. */
function preactivation(
  w: usize, bias: usize, ids: usize, x: usize, I: i32, H: i32, N: i32,
  hb: usize, yb: usize, b: i32, inPanels: i32, h0: i32, h1: i32, h2: i32, h3: i32,
): void {
  const panelStride = <usize>(I + H) * PANEL_BYTES;
  memory.copy(yb, bias, <usize>N << 2);
  if (ids !== 0) {
    addRow(w, panelStride, load<i32>(ids + (<usize>b << 2)), yb, inPanels);
  } else {
    matvecPanels(w, panelStride, x + ((<usize>b * <usize>I) << 2), I, yb, 0, inPanels);
  }
  const wh = w + <usize>I * PANEL_BYTES;
  matvecPanels(wh, panelStride, hb, H, yb, h0, h1);
  if (h2 < h3) matvecPanels(wh, panelStride, hb, H, yb, h2, h3);
}

/** LSTM (gates i, f, g, o; c kept [B, Hp] like h): c' = σ(f) c + σ(i) tanh(g), h' = σ(o) tanh(c'). */
export function lstmStep(w: usize, bias: usize, ids: usize, x: usize, I: i32, H: i32, h: usize, c: usize, y: usize, B: i32): void {
  const Hp = (H + PANEL - 1) & ~(PANEL - 1);
  const N = 4 * Hp;
  const gate = <usize>Hp << 2;
  for (let b = 0; b < B; b++) {
    const hb = h + <usize>b * gate;
    const cb = c + <usize>b * gate;
    const yb = y + <usize>b * (<usize>N << 2);
    preactivation(w, bias, ids, x, I, H, N, hb, yb, b, N / PANEL, 0, N / PANEL, 0, 0);
    for (let j: usize = 0; j < gate; j += 16) {
      const zi = sigmoidv(v128.load(yb + j));
      const zf = sigmoidv(v128.load(yb + gate + j));
      const zg = tanhv(v128.load(yb + 2 * gate + j));
      const zo = sigmoidv(v128.load(yb + 3 * gate + j));
      const cn = f32x4.add(f32x4.mul(zf, v128.load(cb + j)), f32x4.mul(zi, zg));
      v128.store(cb + j, cn);
      v128.store(hb + j, f32x4.mul(zo, tanhv(cn)));
    }
  }
}

/** GRU, reset-after (PyTorch): n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = n + z (h - n). */
export function gruStep(w: usize, bias: usize, ids: usize, x: usize, I: i32, H: i32, h: usize, y: usize, B: i32): void {
  const Hp = (H + PANEL - 1) & ~(PANEL - 1);
  const N = 4 * Hp;
  const gate = <usize>Hp << 2;
  const gp = Hp / PANEL;
  for (let b = 0; b < B; b++) {
    const hb = h + <usize>b * gate;
    const yb = y + <usize>b * (<usize>N << 2);
    // The input reaches r, z, n (3 blocks); the hidden state r, z and its own n block (the 4th).
    preactivation(w, bias, ids, x, I, H, N, hb, yb, b, 3 * gp, 0, 2 * gp, 3 * gp, 4 * gp);
    for (let j: usize = 0; j < gate; j += 16) {
      const r = sigmoidv(v128.load(yb + j));
      const z = sigmoidv(v128.load(yb + gate + j));
      const n = tanhv(f32x4.add(v128.load(yb + 2 * gate + j), f32x4.mul(r, v128.load(yb + 3 * gate + j))));
      v128.store(hb + j, f32x4.add(n, f32x4.mul(z, f32x4.sub(v128.load(hb + j), n))));
    }
  }
}

/** Plain RNN: h' = tanh(W x + b + W_hh h), or relu when `relu` is 1. */
export function rnnStep(w: usize, bias: usize, ids: usize, x: usize, I: i32, H: i32, h: usize, y: usize, B: i32, relu: i32): void {
  const Hp = (H + PANEL - 1) & ~(PANEL - 1);
  const gate = <usize>Hp << 2;
  const panels = Hp / PANEL;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const hb = h + <usize>b * gate;
    const yb = y + <usize>b * gate;
    preactivation(w, bias, ids, x, I, H, Hp, hb, yb, b, panels, 0, panels, 0, 0);
    for (let j: usize = 0; j < gate; j += 16) {
      const z = v128.load(yb + j);
      v128.store(hb + j, relu !== 0 ? f32x4.max(z, zero) : tanhv(z));
    }
  }
}
