// A program that installed @recurrent/generate alone calls a loader first, with no init() of its
// own: the loader starts the backend (wasm) instead of failing inside tfjs ("the highest
// priority backend 'wasm' has not yet been initialized"). Its own file: a fresh module state.
import { backendInfo } from '@recurrent/core';
import { expect, it } from 'vitest';
import { loadGenerator } from '../src/node';
import { readExpected, TM_DIR } from './fixture';

it('loadGenerator before any init(): starts the wasm backend and gives the expected greedy text', async () => {
  expect(backendInfo()).toBeUndefined();
  const { generator, dispose } = await loadGenerator(TM_DIR);
  expect(backendInfo()).toMatchObject({ backend: 'wasm', simd: true });
  for (const { prefix, numTokens, text } of readExpected().greedy) {
    expect((await generator.generate(prefix, { maxTokens: numTokens, strategy: 'greedy' })).text).toBe(text);
  }
  dispose();
});
