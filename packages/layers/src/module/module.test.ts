import { init, InvalidArgumentError, RecurrentError, ShapeError, tf } from '@recurrent/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dropout } from '../dropout/dropout';
import { Linear } from '../linear/linear';
import { LSTM } from '../rnn/lstm';
import { Module } from './module';

beforeAll(async () => {
  await init();
});

class Net extends Module {
  readonly rnn = this.registerModule('rnn', new LSTM(3, 4));
  readonly drop = this.registerModule('drop', new Dropout(0.5));
  readonly linear = this.registerModule('linear', new Linear(4, 2));
}

describe('Module', () => {
  it('names nested parameters with dots and counts them', () => {
    const net = new Net();
    const names = net.namedParameters().map(([n]) => n);
    expect(names[0]).toBe('rnn.weight_ih_l0');
    expect(names.slice(-2)).toEqual(['linear.weight', 'linear.bias']);
    expect(net.numParameters()).toBe(16 * 3 + 16 * 4 + 32 + 4 * 2 + 2);
    expect(() =>
      (net as unknown as { registerModule: (n: string, m: Module) => void }).registerModule(
        'rnn',
        new Dropout(),
      ),
    ).toThrow(InvalidArgumentError);
    net.dispose();
  });

  it('propagates train/eval to children', () => {
    const net = new Net();
    expect(net.drop.training).toBe(true);
    net.eval();
    expect(net.drop.training).toBe(false);
    expect(net.rnn.training).toBe(false);
    net.train();
    expect(net.linear.training).toBe(true);
    net.dispose();
  });

  it('loads state dicts by name and reports missing, unexpected and wrong-shape keys', () => {
    const a = new Net();
    const b = new Net();
    const dict = a.stateDict();
    b.loadStateDict(dict);
    expect([...b.linear.weight.value.dataSync()]).toEqual([...a.linear.weight.value.dataSync()]);
    const extra = tf.zeros([1]);
    const wrong = tf.zeros([3, 3]);
    const { 'linear.bias': _bias, ...missing } = dict;
    expect(() => b.loadStateDict(missing)).toThrow(/missing keys linear.bias/);
    expect(() => b.loadStateDict({ ...dict, 'head.weight': extra })).toThrow(
      /unexpected keys head.weight/,
    );
    expect(() => b.loadStateDict({ ...dict, 'head.weight': extra })).toThrow(RecurrentError);
    expect(() => b.loadStateDict({ ...dict, 'linear.weight': wrong })).toThrow(ShapeError);
    expect(() => b.loadStateDict({ ...dict, 'linear.weight': wrong })).toThrow(
      /linear.weight: expected \[2, 4\], got \[3, 3\]/,
    );
    const r = b.loadStateDict({ ...missing, 'head.weight': extra }, { strict: false });
    expect(r).toEqual({ missingKeys: ['linear.bias'], unexpectedKeys: ['head.weight'] });
    tf.dispose([...Object.values(dict), extra, wrong]);
    a.dispose();
    b.dispose();
  });

  it('zeroGrad clears accumulated gradients', () => {
    const l = new Linear(2, 2);
    l.weight.accumulateGrad(tf.ones([2, 2]));
    l.weight.accumulateGrad(tf.ones([2, 2]));
    expect([...l.weight.grad!.dataSync()]).toEqual([2, 2, 2, 2]);
    l.zeroGrad();
    expect(l.weight.grad).toBeNull();
    l.dispose();
  });
});
