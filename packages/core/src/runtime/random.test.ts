import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Random, getRandom, init, manualSeed, tf } from '../index';

describe('Random', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const xa = Array.from({ length: 20 }, () => a.float());
    const xb = Array.from({ length: 20 }, () => b.float());
    const xc = Array.from({ length: 20 }, () => c.float());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('floats lie in [0, 1) with mean near 1/2; normals have mean 0 and std 1', () => {
    const r = new Random(1);
    const u = r.uniformArray(20000);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(u.reduce((s, x) => s + x, 0) / u.length).toBeCloseTo(0.5, 1);
    const n = r.normalArray(20000);
    const mean = n.reduce((s, x) => s + x, 0) / n.length;
    const std = Math.sqrt(n.reduce((s, x) => s + (x - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
  });

  it('randint is inclusive at both ends, like Python', () => {
    const r = new Random(7);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(r.randint(0, 3));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });

  it('shuffle is a permutation (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 50 }), fc.integer(), (xs, seed) => {
        const out = new Random(seed).shuffle([...xs]) as number[];
        expect([...out].sort((p, q) => p - q)).toEqual([...xs].sort((p, q) => p - q));
      }),
    );
  });

  it('restores from its state exactly, including a cached normal', () => {
    const r = new Random(5);
    r.float();
    r.normal();
    const state = JSON.parse(JSON.stringify(r.getState()));
    const next = [r.normal(), r.float(), r.randint(0, 100)];
    const s = Random.fromState(state);
    expect([s.normal(), s.float(), s.randint(0, 100)]).toEqual(next);
  });

  it('categorical follows the weights and never picks a zero weight', () => {
    const r = new Random(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 6000; i++) counts[r.categorical([1, 0, 3])]!++;
    expect(counts[1]).toBe(0);
    expect(counts[2]! / counts[0]!).toBeGreaterThan(2.5);
    expect(counts[2]! / counts[0]!).toBeLessThan(3.5);
  });

  it('manualSeed resets the global source', () => {
    manualSeed(11);
    const a = getRandom().float();
    manualSeed(11);
    expect(getRandom().float()).toBe(a);
  });

  it('gives the same tensor values on wasm and cpu (numbers are made in JS)', async () => {
    const make = () => tf.tensor(new Random(9).normalArray(64), [8, 8]);
    await init({ backend: 'cpu' });
    const onCpu = make();
    const cpu = Array.from(onCpu.dataSync());
    onCpu.dispose();
    await init({ backend: 'wasm' });
    const onWasm = make();
    expect(Array.from(onWasm.dataSync())).toEqual(cpu);
    onWasm.dispose();
  });

  it('refuses bad arguments with typed errors', () => {
    expect(() => new Random(1.5)).toThrow(/Random: 'seed' must be an integer, got 1.5/);
    expect(() => new Random(0).int(0)).toThrow(/'n' must be a positive integer, got 0/);
    expect(() => new Random(0).randint(3, 1)).toThrow(
      /'high' must be an integer >= low \(3\), got 1/,
    );
    expect(() => new Random(0).categorical([0, 0])).toThrow(
      /'weights' must be non-negative finite weights/,
    );
  });
});

describe('Random seeding', () => {
  it('nearby seeds start unrelated streams (the first draws are not shared)', () => {
    const firsts = Array.from({ length: 64 }, (_, s) => new Random(s).float());
    const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
    expect(mean).toBeGreaterThan(0.35);
    expect(mean).toBeLessThan(0.65);
    expect(new Set(firsts.map((x) => x.toFixed(3))).size).toBeGreaterThan(55);
    const forks = Array.from({ length: 16 }, (_, s) => new Random(s).fork().float());
    expect(Math.max(...forks) - Math.min(...forks)).toBeGreaterThan(0.5);
  });
});
