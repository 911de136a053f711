// Softmax cross-entropy over rows of logits, 4 lanes at a time: the forward pass gives each
// row's loss and log-sum-exp, the backward pass the logits' gradient from them (recomputing the
// exponentials rather than keeping an [M, C] softmax).

import { expv } from './math';

@inline
function expScalar(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}

/**
 * For each of the M rows of z [M, C] (row-major, any C): lse[m] = log Σ_j e^{z_mj} (stably, after
 * the row's maximum) and loss[m] = lse − (1 − s)·z[m, t_m] − s·mean_j z_mj, with s the label
 * smoothing; rows whose target t_m equals `ignore` get loss 0. Targets are in [0, C) (checked by
 * the caller) or `ignore`.
 */
export function crossEntropyForward(z: usize, t: usize, M: i32, C: i32, ignore: i32, smoothing: f32, loss: usize, lse: usize): void {
  const C4 = C & ~3;
  for (let m = 0; m < M; m++) {
    const row = z + (<usize>m * <usize>C << 2);
    let vmax = f32x4.splat(-Infinity);
    let vsum = f32x4.splat(0);
    let j = 0;
    for (; j < C4; j += 4) {
      const v = v128.load(row + (<usize>j << 2));
      vmax = f32x4.max(vmax, v);
      vsum = f32x4.add(vsum, v);
    }
    let mx = Mathf.max(Mathf.max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), Mathf.max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
    let zsum = f32x4.extract_lane(vsum, 0) + f32x4.extract_lane(vsum, 1) + f32x4.extract_lane(vsum, 2) + f32x4.extract_lane(vsum, 3);
    for (; j < C; j++) {
      const x = load<f32>(row + (<usize>j << 2));
      mx = Mathf.max(mx, x);
      zsum += x;
    }
    const vmx = f32x4.splat(mx);
    let ve = f32x4.splat(0);
    j = 0;
    for (; j < C4; j += 4) ve = f32x4.add(ve, expv(f32x4.sub(v128.load(row + (<usize>j << 2)), vmx)));
    let esum = f32x4.extract_lane(ve, 0) + f32x4.extract_lane(ve, 1) + f32x4.extract_lane(ve, 2) + f32x4.extract_lane(ve, 3);
    for (; j < C; j++) esum += expScalar(load<f32>(row + (<usize>j << 2)) - mx);
    const l = mx + Mathf.log(esum);
    store<f32>(lse + (<usize>m << 2), l);
    const target = load<i32>(t + (<usize>m << 2));
    let value: f32 = 0;
    if (target !== ignore) {
      const zt = load<f32>(row + (<usize>target << 2));
      value = l - (1 - smoothing) * zt - smoothing * (zsum / <f32>C);
    }
    store<f32>(loss + (<usize>m << 2), value);
  }
}

/**
 * The gradient of Σ_m g[m]·loss[m] with respect to z, written over z in place:
 * dz[m, j] = g[m]·(e^{z_mj − lse[m]} − s/C − (1 − s)·[j = t_m]), and 0 on ignored rows.
 */
export function crossEntropyBackward(z: usize, t: usize, lse: usize, g: usize, M: i32, C: i32, ignore: i32, smoothing: f32): void {
  const C4 = C & ~3;
  const u = smoothing / <f32>C;
  for (let m = 0; m < M; m++) {
    const row = z + (<usize>m * <usize>C << 2);
    const target = load<i32>(t + (<usize>m << 2));
    if (target === ignore) {
      memory.fill(row, 0, <usize>C << 2);
      continue;
    }
    const gm = load<f32>(g + (<usize>m << 2));
    const l = load<f32>(lse + (<usize>m << 2));
    const vl = f32x4.splat(l);
    const vu = f32x4.splat(u);
    const vg = f32x4.splat(gm);
    let j = 0;
    for (; j < C4; j += 4) {
      const at = row + (<usize>j << 2);
      v128.store(at, f32x4.mul(f32x4.sub(expv(f32x4.sub(v128.load(at), vl)), vu), vg));
    }
    for (; j < C; j++) {
      const at = row + (<usize>j << 2);
      store<f32>(at, (expScalar(load<f32>(at) - l) - u) * gm);
    }
    const at = row + (<usize>target << 2);
    store<f32>(at, load<f32>(at) - (1 - smoothing) * gm);
  }
}
