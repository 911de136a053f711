import { init, tf } from '@recurrent/core';
import { Parameter } from '@recurrent/layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { SGD } from '../optim/sgd';
import { LRScheduler, scheduleFactor } from './schedule';

beforeAll(async () => {
  await init();
});

describe('scheduleFactor', () => {
  it('gives PyTorch StepLR, ExponentialLR, cosine and linear warm-up factors', () => {
    expect([0, 1, 2, 3, 4].map((t) => scheduleFactor({ type: 'step', stepSize: 2, gamma: 0.5 }, t))).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(scheduleFactor({ type: 'exponential', gamma: 0.9 }, 3)).toBeCloseTo(0.729, 12);
    const cos = { type: 'cosine', tMax: 10, minFactor: 0.1 } as const;
    expect(scheduleFactor(cos, 0)).toBe(1);
    expect(scheduleFactor(cos, 5)).toBeCloseTo(0.55, 12);
    expect(scheduleFactor(cos, 10)).toBeCloseTo(0.1, 12);
    expect(scheduleFactor(cos, 20)).toBeCloseTo(0.1, 12);
    const warm = { type: 'warmup', steps: 4, startFactor: 0.2 } as const;
    [0.2, 0.6, 1, 1].forEach((want, i) => expect(scheduleFactor(warm, [0, 2, 4, 9][i]!)).toBeCloseTo(want, 12));
  });

  it('composes by product (warm-up then cosine via offset)', () => {
    const spec = { type: 'chain', schedules: [{ type: 'warmup', steps: 2, startFactor: 0.5 }, { type: 'cosine', tMax: 4, offset: 2 }] } as const;
    [0.5, 0.75, 1, 0.5, 0].forEach((want, i) => expect(scheduleFactor(spec, [0, 1, 2, 4, 6][i]!)).toBeCloseTo(want, 12));
  });

  it('refuses bad specs', () => {
    expect(() => scheduleFactor({ type: 'step', stepSize: 0 }, 0)).toThrow(/spec.stepSize/);
    expect(() => scheduleFactor({ type: 'nope' } as never, 0)).toThrow(/spec.type/);
  });
});

describe('LRScheduler', () => {
  it('sets the optimizer learning rate and restores from its state', () => {
    const t = tf.tensor1d([1]);
    const p = new Parameter(t);
    t.dispose();
    const opt = new SGD([p], { lr: 1 });
    const s = new LRScheduler(opt, { type: 'step', stepSize: 1, gamma: 0.5 });
    s.step();
    s.step();
    expect(opt.lr).toBe(0.25);
    const opt2 = new SGD([p], { lr: 1 });
    const s2 = new LRScheduler(opt2, { type: 'constant' });
    s2.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())));
    expect(opt2.lr).toBe(0.25);
    s2.step();
    expect(opt2.lr).toBe(0.125);
    p.dispose();
  });
});
