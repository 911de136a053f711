// Matrix products C = A·B on 4 lanes: a 4×8 register tile (8 accumulators, 4 broadcast rows of A
// against two 4-wide vectors of a B panel), blocked over K and N so that a block of B stays in
// the core's L2 cache while every row block of A passes over it. B is packed once into panels of
// 8 columns (K rows of 8 floats each, zero-padded past N): the module's one weight layout. A and
// C are row-major, any number of rows, C's row stride the panels' width (a multiple of 8).

/**
 * c + a·b: one fused multiply-add where the engine has relaxed SIMD (the module is also built
 * with it; see scripts/build-wasm.mjs), else a multiply and an add.
 */
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** K rows of a B block (with NC_PANELS panels: 256 × 64 × 4 bytes = 256 KB of B per block). */
const KC: i32 = 256;
const NC_PANELS: i32 = 32;

/**
 * Packs B [K, N] (row-major, row stride N) into ceil(N/8) panels of K×8 floats at `dst`; columns
 * past N are zero.
 */
export function packPanels(src: usize, K: i32, N: i32, dst: usize): void {
  const panels = (N + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const c0 = p << 3;
    const width = min(8, N - c0);
    let d = dst + (<usize>p * <usize>K << 5);
    if (width === 8) {
      for (let k = 0; k < K; k++) {
        const s = src + ((<usize>k * <usize>N + <usize>c0) << 2);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        d += 32;
      }
    } else {
      for (let k = 0; k < K; k++) {
        const s = src + ((<usize>k * <usize>N + <usize>c0) << 2);
        for (let j = 0; j < 8; j++) store<f32>(d + (<usize>j << 2), j < width ? load<f32>(s + (<usize>j << 2)) : 0);
        d += 32;
      }
    }
  }
}

/**
 * Packs Bᵀ from W [N, K] (row-major: B = Wᵀ, so panel p gathers rows 8p..8p+7 of W) into
 * ceil(N/8) panels of K×8 floats at `dst`; rows past N are zero.
 */
export function packPanelsTransposed(src: usize, N: i32, K: i32, dst: usize): void {
  const panels = (N + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const r0 = p << 3;
    const d = dst + (<usize>p * <usize>K << 5);
    for (let j = 0; j < 8; j++) {
      const r = r0 + j;
      const s = src + (<usize>r * <usize>K << 2);
      if (r < N) for (let k = 0; k < K; k++) store<f32>(d + ((<usize>k << 5) + (<usize>j << 2)), load<f32>(s + (<usize>k << 2)));
      else for (let k = 0; k < K; k++) store<f32>(d + ((<usize>k << 5) + (<usize>j << 2)), 0);
    }
  }
}

/**
 * C [M, Np] = A [M, K] · B (packed, Np/8 panels), or C += A · B with `accumulate`; row-major with
 * row strides K (A) and Np (C), Np = 8 × panels, any M. Rows go four at a time through a 4×8
 * register tile and the last M mod 4 one at a time through a 1×32 tile (1×8 at the right edge).
 * Every output element sums over k in order, a block of KC at a time, whichever tile computes it:
 * a row gets the same bits alone as among others, and a column the same bits in any panel range
 * (so a product split between threads by rows or by panels equals the whole one bit for bit).
 */
export function gemm(a: usize, bp: usize, c: usize, M: i32, K: i32, panels: i32, accumulate: i32): void {
  gemmStrided(a, <usize>K << 2, 4, bp, c, M, K, 0, panels, panels, accumulate);
}

/**
 * The columns of panels [p0, p1) of `gemm`'s product (C's row stride still `panels` panels): one
 * thread's share when a product with few rows is split by panels.
 */
export function gemmPanels(a: usize, bp: usize, c: usize, M: i32, K: i32, p0: i32, p1: i32, panels: i32, accumulate: i32): void {
  gemmStrided(a, <usize>K << 2, 4, bp, c, M, K, p0, p1, panels, accumulate);
}

/**
 * `gemmPanels` with A given transposed: A [M, K] is the transpose of the row-major block at `a`
 * of K rows, `lda` floats apart (A[i, k] at a + 4·(k·lda + i)), as a weight gradient's
 * dYᵀ·X reads dY [K, M] where it lies. The same sums in the same order as on a transposed copy.
 */
export function gemmTransA(a: usize, lda: i32, bp: usize, c: usize, M: i32, K: i32, p0: i32, p1: i32, panels: i32, accumulate: i32): void {
  gemmStrided(a, 4, <usize>lda << 2, bp, c, M, K, p0, p1, panels, accumulate);
}

/** The kernel behind the three: A[i, k] at a + i·rowA + k·colA (bytes). */
@inline
function gemmStrided(a: usize, rowA: usize, colA: usize, bp: usize, c: usize, M: i32, K: i32, p0: i32, p1: i32, panels: i32, accumulate: i32): void {
  const rowC = <usize>panels << 5;
  const panelBytes = <usize>K << 5;
  const M4 = M & ~3;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const add = accumulate !== 0 || k0 > 0;
    for (let q0 = p0; q0 < p1; q0 += NC_PANELS) {
      const q1 = min(q0 + NC_PANELS, p1);
      for (let i = 0; i < M4; i += 4) {
        const ai = a + <usize>i * rowA + <usize>k0 * colA;
        for (let p = q0; p < q1; p++) tile4x8(ai, rowA, colA, kc, bp + ((<usize>p * <usize>K + <usize>k0) << 5), c + <usize>i * rowC + (<usize>p << 5), rowC, add);
      }
      for (let i = M4; i < M; i++) {
        const ai = a + <usize>i * rowA + <usize>k0 * colA;
        const ci = c + <usize>i * rowC;
        let p = q0;
        for (; p + 4 <= q1; p += 4) tile1x32(ai, colA, kc, bp + ((<usize>p * <usize>K + <usize>k0) << 5), panelBytes, ci + (<usize>p << 5), add);
        for (; p < q1; p++) tile1x8(ai, colA, kc, bp + ((<usize>p * <usize>K + <usize>k0) << 5), ci + (<usize>p << 5), add);
      }
    }
  }
}

/**
 * Four rows of A (`rowA` bytes apart, consecutive k `colA` bytes apart) against one panel:
 * C[4, 8] (+)= A[4, kc] · B[kc, 8].
 */
@inline
function tile4x8(a0: usize, rowA: usize, colA: usize, kc: i32, b: usize, cc: usize, rowC: usize, add: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const aEnd = a0 + <usize>kc * colA;
  for (let x = a0; x < aEnd; x += colA) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let s = v128.load32_splat(x);
    c00 = madd(s, b0, c00);
    c01 = madd(s, b1, c01);
    s = v128.load32_splat(x + rowA);
    c10 = madd(s, b0, c10);
    c11 = madd(s, b1, c11);
    s = v128.load32_splat(x + 2 * rowA);
    c20 = madd(s, b0, c20);
    c21 = madd(s, b1, c21);
    s = v128.load32_splat(x + 3 * rowA);
    c30 = madd(s, b0, c30);
    c31 = madd(s, b1, c31);
    b += 32;
  }
  if (add) {
    c00 = f32x4.add(c00, v128.load(cc));
    c01 = f32x4.add(c01, v128.load(cc, 16));
    c10 = f32x4.add(c10, v128.load(cc + rowC));
    c11 = f32x4.add(c11, v128.load(cc + rowC, 16));
    c20 = f32x4.add(c20, v128.load(cc + 2 * rowC));
    c21 = f32x4.add(c21, v128.load(cc + 2 * rowC, 16));
    c30 = f32x4.add(c30, v128.load(cc + 3 * rowC));
    c31 = f32x4.add(c31, v128.load(cc + 3 * rowC, 16));
  }
  v128.store(cc, c00);
  v128.store(cc, c01, 16);
  v128.store(cc + rowC, c10);
  v128.store(cc + rowC, c11, 16);
  v128.store(cc + 2 * rowC, c20);
  v128.store(cc + 2 * rowC, c21, 16);
  v128.store(cc + 3 * rowC, c30);
  v128.store(cc + 3 * rowC, c31, 16);
}

/**
 * One row of A (consecutive k `colA` bytes apart) against four panels (`panelBytes` apart):
 * C[1, 32] (+)= A[1, kc] · B[kc, 32]. Eight
 * independent sums keep the multiply-adds in flight (a single-row product, as generation's, would
 * otherwise wait on each one).
 */
@inline
function tile1x32(a: usize, colA: usize, kc: i32, b: usize, panelBytes: usize, cc: usize, add: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  const aEnd = a + <usize>kc * colA;
  const b1 = panelBytes;
  const b2 = 2 * panelBytes;
  const b3 = 3 * panelBytes;
  for (let x = a; x < aEnd; x += colA) {
    const s = v128.load32_splat(x);
    c0 = madd(s, v128.load(b), c0);
    c1 = madd(s, v128.load(b, 16), c1);
    c2 = madd(s, v128.load(b + b1), c2);
    c3 = madd(s, v128.load(b + b1, 16), c3);
    c4 = madd(s, v128.load(b + b2), c4);
    c5 = madd(s, v128.load(b + b2, 16), c5);
    c6 = madd(s, v128.load(b + b3), c6);
    c7 = madd(s, v128.load(b + b3, 16), c7);
    b += 32;
  }
  if (add) {
    c0 = f32x4.add(c0, v128.load(cc));
    c1 = f32x4.add(c1, v128.load(cc, 16));
    c2 = f32x4.add(c2, v128.load(cc, 32));
    c3 = f32x4.add(c3, v128.load(cc, 48));
    c4 = f32x4.add(c4, v128.load(cc, 64));
    c5 = f32x4.add(c5, v128.load(cc, 80));
    c6 = f32x4.add(c6, v128.load(cc, 96));
    c7 = f32x4.add(c7, v128.load(cc, 112));
  }
  v128.store(cc, c0);
  v128.store(cc, c1, 16);
  v128.store(cc, c2, 32);
  v128.store(cc, c3, 48);
  v128.store(cc, c4, 64);
  v128.store(cc, c5, 80);
  v128.store(cc, c6, 96);
  v128.store(cc, c7, 112);
}

/** One row of A (consecutive k `colA` bytes apart) against one panel: C[1, 8] (+)= A[1, kc] · B[kc, 8]. */
@inline
function tile1x8(a: usize, colA: usize, kc: i32, b: usize, cc: usize, add: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  const aEnd = a + <usize>kc * colA;
  for (let x = a; x < aEnd; x += colA) {
    const s = v128.load32_splat(x);
    c0 = madd(s, v128.load(b), c0);
    c1 = madd(s, v128.load(b, 16), c1);
    b += 32;
  }
  if (add) {
    c0 = f32x4.add(c0, v128.load(cc));
    c1 = f32x4.add(c1, v128.load(cc, 16));
  }
  v128.store(cc, c0);
  v128.store(cc, c1, 16);
}
