import { CheckpointError, InvalidArgumentError, assertNoLeak, init, tf } from '@recurrent/core';
import type { Parameter } from '@recurrent/layers';
import { param } from '../../test/setup';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, AdamW } from './adam';
import type { Optimizer } from './optimizer';
import { RMSprop } from './rmsprop';
import { SGD } from './sgd';

beforeAll(async () => {
  await init();
});

function run(opt: Optimizer, p: Parameter, grads: number[][]): number[][] {
  const out: number[][] = [];
  for (const g of grads) {
    opt.zeroGrad();
    p.setGrad(tf.tensor1d(g));
    opt.step();
    out.push(Array.from(p.value.dataSync()));
  }
  return out;
}

describe('RMSprop', () => {
  it('follows PyTorch rules (plain, centred, momentum) against a double-precision recurrence', () => {
    const grads = [
      [0.5, -1],
      [0.1, 2],
      [-0.3, 0.4],
    ];
    for (const cfg of [{}, { centered: true }, { momentum: 0.9, weightDecay: 0.1 }]) {
      const p = param([1, -2]);
      const opt = new RMSprop([p], { lr: 0.01, ...cfg });
      const got = run(opt, p, grads);
      // Reference in doubles.
      const { momentum = 0, weightDecay = 0, centered = false } = cfg as { momentum?: number; weightDecay?: number; centered?: boolean };
      const x = [1, -2];
      const sq = [0, 0];
      const ga = [0, 0];
      const buf = [0, 0];
      grads.forEach((g, s) => {
        for (let i = 0; i < 2; i++) {
          const gi = g[i]! + weightDecay * x[i]!;
          sq[i] = 0.99 * sq[i]! + 0.01 * gi * gi;
          let avg = sq[i]!;
          if (centered) {
            ga[i] = 0.99 * ga[i]! + 0.01 * gi;
            avg -= ga[i]! * ga[i]!;
          }
          const d = Math.sqrt(avg) + 1e-8;
          if (momentum) {
            buf[i] = momentum * buf[i]! + gi / d;
            x[i]! -= 0.01 * buf[i]!;
          } else x[i]! -= (0.01 * gi) / d;
          expect(got[s]![i]!).toBeCloseTo(x[i]!, 5);
        }
      });
      opt.dispose();
      p.dispose();
    }
  });
});

describe('optimizer state dicts', () => {
  it('resume an Adam run exactly (tensors and per-parameter steps)', () => {
    const grads = [
      [0.5, -1],
      [0.1, 2],
      [-0.3, 0.4],
      [1, 1],
    ];
    const a = param([1, 2]);
    const optA = new Adam([a], { lr: 0.1, amsgrad: true });
    const full = run(optA, a, grads);

    const b = param([1, 2]);
    const optB = new Adam([b], { lr: 0.1, amsgrad: true });
    run(optB, b, grads.slice(0, 2));
    const sd = optB.stateDict();
    expect(Object.keys(sd.tensors).sort()).toEqual(['state.0.exp_avg', 'state.0.exp_avg_sq', 'state.0.max_exp_avg_sq']);
    expect(sd.scalars).toMatchObject({ type: 'Adam', steps: [2], options: { lr: 0.1, amsgrad: true } });
    const c = param(Array.from(b.value.dataSync()));
    const optC = new Adam([c], { lr: 0.5 });
    optC.loadStateDict(sd);
    expect(optC.lr).toBe(0.1);
    const rest = run(optC, c, grads.slice(2));
    expect(rest).toEqual(full.slice(2));
    tf.dispose(Object.values(sd.tensors));
    for (const o of [optA, optB, optC]) o.dispose();
    for (const p of [a, b, c]) p.dispose();
  });

  it('refuse a state of another optimizer or of other shapes', () => {
    const p = param([1, 2]);
    const sgd = new SGD([p], { lr: 1, momentum: 0.9 });
    run(sgd, p, [[1, 1]]);
    const sd = sgd.stateDict();
    const adam = new AdamW([p]);
    expect(() => adam.loadStateDict(sd)).toThrow(CheckpointError);
    const q = param([1, 2, 3]);
    const sgd2 = new SGD([q], { lr: 1, momentum: 0.9 });
    expect(() => sgd2.loadStateDict(sd)).toThrow(/shape/);
    tf.dispose(Object.values(sd.tensors));
    for (const o of [sgd, adam, sgd2]) o.dispose();
    p.dispose();
    q.dispose();
  });
});

describe('optimizers', () => {
  it('skip parameters without a gradient and validate hyper-parameters', () => {
    const p = param([1, 2]);
    const q = param([3]);
    const opt = new SGD([p, q], { lr: 0.5 });
    p.setGrad(tf.tensor1d([1, 1]));
    opt.step();
    expect(Array.from(p.value.dataSync())).toEqual([0.5, 1.5]);
    expect(Array.from(q.value.dataSync())).toEqual([3]);
    expect(() => new SGD([p], { lr: -1 })).toThrow(InvalidArgumentError);
    expect(() => new SGD([p], { lr: 1, nesterov: true })).toThrow(/nesterov/);
    expect(() => new Adam([p], { betas: [1, 0.9] })).toThrow(/betas\[0\]/);
    opt.dispose();
    p.dispose();
    q.dispose();
  });

  it('do not leak tensors across steps', async () => {
    const p = param([1, 2, 3]);
    for (const opt of [new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), new Adam([p], { amsgrad: true }), new AdamW([p]), new RMSprop([p], { centered: true, momentum: 0.5 })]) {
      await assertNoLeak(() => {
        p.setGrad(tf.tensor1d([0.1, -0.2, 0.3]));
        opt.step();
      });
      opt.dispose();
    }
    p.dispose();
  });
});
