// Exponential and the nonlinearities, 4 lanes at a time (shared by the step and sequence kernels).

const LOG2E: f32 = 1.44269504088896341;
// ln 2 split in two: a high part exact in few bits, so n * LN2_HI has no rounding error.
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
// Clamped so that 2^n stays a normal float.
const EXP_MAX: f32 = 88.0;
const EXP_MIN: f32 = -87.33654;

/** e^x for each lane: x = n ln2 + r with |r| <= ln2 / 2, e^r by a degree-7 polynomial, times 2^n. */
@inline
export function expv(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(EXP_MIN)), f32x4.splat(EXP_MAX));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  const e = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23); // 2^n
  return f32x4.mul(e, scale);
}

/** σ(x) = 1 / (1 + e^-x). */
@inline
export function sigmoidv(x: v128): v128 {
  const one = f32x4.splat(1.0);
  return f32x4.div(one, f32x4.add(one, expv(f32x4.neg(x))));
}

/**
 * tanh(x): sign(x) (1 - e) / (1 + e) with e = e^(-2|x|) (no overflow for any x), and below
 * |x| = 0.625, where that difference cancels, an odd polynomial x + x³ P(x²).
 */
@inline
export function tanhv(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const ax = f32x4.abs(x);
  const e = expv(f32x4.mul(ax, f32x4.splat(-2.0)));
  const t = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  const large = v128.or(t, v128.and(x, i32x4.splat(-2147483648)));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  return v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(0.625)));
}

