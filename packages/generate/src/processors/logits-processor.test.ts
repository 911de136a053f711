import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@recurrent/core';
import {
  applyLogitsProcessors,
  argmax,
  repetitionPenaltyProcessor,
  softmax64,
  temperatureProcessor,
  topKProcessor,
  topPProcessor,
} from './logits-processor';

const logitsArb = fc.array(fc.float({ min: -20, max: 20, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 40 }).map((a) => Float32Array.from(a));

describe('logits processors', () => {
  it('top-k keeps exactly k tokens and never one outside the k best', () => {
    fc.assert(
      fc.property(logitsArb, fc.integer({ min: 1, max: 50 }), (logits, k) => {
        const out = topKProcessor(k)([], logits.slice());
        const kept = [...out.keys()].filter((i) => out[i] !== -Infinity);
        expect(kept.length).toBe(Math.min(k, logits.length));
        const keptMin = Math.min(...kept.map((i) => logits[i]!));
        // every dropped token is no better than every kept one
        for (let i = 0; i < logits.length; i++) if (out[i] === -Infinity) expect(logits[i]!).toBeLessThanOrEqual(keptMin);
        for (const i of kept) expect(out[i]).toBe(logits[i]); // kept values untouched
      }),
    );
  });

  it('top-p keeps the smallest set of most likely tokens whose probability reaches p', () => {
    fc.assert(
      fc.property(logitsArb, fc.double({ min: 0.01, max: 1, noNaN: true }), (logits, p) => {
        const probs = softmax64(logits);
        const out = topPProcessor(p)([], logits.slice());
        const kept = [...out.keys()].filter((i) => out[i] !== -Infinity);
        expect(kept.length).toBeGreaterThanOrEqual(1);
        const mass = kept.reduce((s, i) => s + probs[i]!, 0);
        expect(mass).toBeGreaterThanOrEqual(Math.min(p, 1) - 1e-9);
        // most likely first: no dropped token is more likely than a kept one
        const keptMin = Math.min(...kept.map((i) => probs[i]!));
        for (let i = 0; i < logits.length; i++) if (out[i] === -Infinity) expect(probs[i]!).toBeLessThanOrEqual(keptMin);
        // smallest: without its least likely member the set falls short of p
        if (kept.length > 1) expect(mass - keptMin).toBeLessThan(p + 1e-12);
      }),
    );
  });

  it('top-p 1 keeps everything; top-p tiny keeps the argmax only', () => {
    const l = Float32Array.from([1, 3, 2]);
    expect(Array.from(topPProcessor(1)([], l.slice()))).toEqual([1, 3, 2]);
    expect(Array.from(topPProcessor(1e-6)([], l.slice()))).toEqual([-Infinity, 3, -Infinity]);
  });

  it('temperature divides; a tiny temperature concentrates all probability on the argmax', () => {
    expect(Array.from(temperatureProcessor(2)([], Float32Array.from([2, -4])))).toEqual([1, -2]);
    fc.assert(
      fc.property(logitsArb, (logits) => {
        const best = argmax(logits);
        const unique = logits.every((v, i) => i === best || logits[best]! - v > 1e-3);
        fc.pre(unique);
        const probs = softmax64(temperatureProcessor(1e-6)([], logits.slice()));
        expect(probs[best]).toBeCloseTo(1, 9);
      }),
    );
  });

  it('repetition penalty divides positive and multiplies negative logits of seen ids once', () => {
    const out = repetitionPenaltyProcessor(2)([0, 2, 2], Float32Array.from([4, 4, -3, 1]));
    expect(Array.from(out)).toEqual([2, 4, -6, 1]);
  });

  it('processors run in order', () => {
    const list = [temperatureProcessor(0.5), topKProcessor(1)];
    expect(Array.from(applyLogitsProcessors(list, [], Float32Array.from([1, 3, 2])))).toEqual([-Infinity, 6, -Infinity]);
  });

  it('refuses bad parameters with typed errors', () => {
    expect(() => temperatureProcessor(0)).toThrow(InvalidArgumentError);
    expect(() => temperatureProcessor(-1)).toThrow(/'temperature' must be a finite number > 0, got -1/);
    expect(() => topKProcessor(0)).toThrow(/'topK' must be an integer >= 1, got 0|'topK' must be a positive integer, got 0/);
    expect(() => topPProcessor(0)).toThrow(/'topP' must be a finite number > 0 and <= 1, got 0/);
    expect(() => topPProcessor(1.5)).toThrow(/'topP' must be a finite number > 0 and <= 1, got 1.5/);
    expect(() => repetitionPenaltyProcessor(0)).toThrow(InvalidArgumentError);
  });
});
