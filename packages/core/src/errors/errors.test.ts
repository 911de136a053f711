import { describe, expect, it } from 'vitest';
import {
  DTypeError,
  InvalidArgumentError,
  NonFiniteLossError,
  RecurrentError,
  ShapeError,
  checkDType,
  checkInt,
  checkNumber,
  checkOneOf,
  checkShape,
  toRecurrentError,
} from '../index';

describe('typed errors', () => {
  it('name the function, the argument, the expected and the received value', () => {
    const e = new InvalidArgumentError({
      fn: 'LSTM',
      argument: 'hiddenSize',
      expected: 'a positive integer',
      received: 0,
    });
    expect(e.message).toBe("LSTM: 'hiddenSize' must be a positive integer, got 0");
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.name).toBe('InvalidArgumentError');
    expect(e).toBeInstanceOf(RecurrentError);
    expect(RecurrentError.isInstance(e)).toBe(true);
    expect(RecurrentError.isInstance(new Error('x'))).toBe(false);
  });

  it('isInstance recognises an error from another copy of the package by its marker', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('@recurrent/error')]: true });
    expect(RecurrentError.isInstance(foreign)).toBe(true);
  });

  it('subclasses carry their codes', () => {
    expect(new ShapeError({ fn: 'f', argument: 'x', expected: 'e', received: [1, 2] }).code).toBe(
      'SHAPE',
    );
    expect(
      new DTypeError({ fn: 'f', argument: 'x', expected: 'e', received: 'a float32 tensor' }).code,
    ).toBe('DTYPE');
    const nan = new NonFiniteLossError(17, NaN);
    expect(nan.message).toMatch(/loss became NaN at step 17/);
    expect(nan.step).toBe(17);
  });

  it('toRecurrentError keeps typed errors and wraps others with a cause', () => {
    const typed = new ShapeError({ fn: 'f', argument: 'x', expected: 'e', received: [1] });
    expect(toRecurrentError(typed)).toBe(typed);
    const plain = new TypeError('boom');
    const wrapped = toRecurrentError(plain);
    expect(wrapped.message).toBe('boom');
    expect(wrapped.cause).toBe(plain);
  });
});

describe('validators', () => {
  it('checkInt, checkNumber and checkOneOf', () => {
    expect(checkInt('f', 'n', 3)).toBe(3);
    expect(() => checkInt('f', 'n', 2.5)).toThrow("f: 'n' must be a positive integer, got 2.5");
    expect(() => checkInt('f', 'n', -1, 0)).toThrow(
      "f: 'n' must be a non-negative integer, got -1",
    );
    expect(() => checkNumber('f', 'p', 1.5, { min: 0, max: 1, minExclusive: true })).toThrow(
      "f: 'p' must be a finite number > 0 and <= 1, got 1.5",
    );
    expect(() => checkNumber('f', 'p', NaN)).toThrow("f: 'p' must be a finite number, got NaN");
    expect(() => checkOneOf('f', 'cell', 'lstn', ['lstm', 'gru'])).toThrow(
      "f: 'cell' must be one of 'lstm', 'gru', got \"lstn\"",
    );
  });

  it('checkShape and checkDType describe the received tensor', () => {
    const t = { shape: [2, 3, 4], dtype: 'float32' };
    expect(() => checkShape('LSTM.forward', 'input', t, [null, null, 5])).toThrow(
      "LSTM.forward: 'input' must be of shape [*, *, 5], got [2, 3, 4]",
    );
    expect(() => checkShape('LSTM.forward', 'input', t, [null, null, 4])).not.toThrow();
    expect(() => checkDType('Embedding.forward', 'ids', t, 'int32')).toThrow(
      'Embedding.forward: \'ids\' must be a int32 tensor, got "a float32 tensor"',
    );
  });
});

describe('checkFloatTensor', () => {
  it('accepts a float32 tensor-like and refuses non-tensors and other dtypes', async () => {
    const { checkFloatTensor } = await import('../index');
    const t = { shape: [2, 3], dtype: 'float32' };
    expect(checkFloatTensor('LSTM.forward', 'input', t)).toBe(t);
    expect(() => checkFloatTensor('LSTM.forward', 'input', [1, 2])).toThrow(
      "LSTM.forward: 'input' must be a float32 tensor, got [1, 2]",
    );
    expect(() => checkFloatTensor('LSTM.forward', 'input', { shape: [2], dtype: 'int32' })).toThrow(
      DTypeError,
    );
  });
});
