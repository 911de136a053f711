// fetchGenerator as a page's or a worker's first call: it starts the backend itself. The fetch is
// a stand-in serving the fixture's two files (and 404 for anything else) by URL.
import { readFileSync } from 'node:fs';
import { backendInfo, CheckpointError } from '@recurrent/core';
import { expect, it } from 'vitest';
import { fetchGenerator } from '../src/index';
import { readExpected, TM_DIR } from './fixture';

const BASE = 'https://models.example/tm-lstm-onehot';
const requested: string[] = [];
const fetchFixture = async (url: string): Promise<Response> => {
  requested.push(url);
  const name = url.startsWith(`${BASE}/`) ? url.slice(BASE.length + 1) : '';
  if (name !== 'config.json' && name !== 'model.safetensors') return new Response('not found', { status: 404 });
  return new Response(readFileSync(`${TM_DIR}/${name}`));
};

it('fetchGenerator before any init(): starts the wasm backend, fetches both files and gives the expected greedy text', async () => {
  expect(backendInfo()).toBeUndefined();
  const { generator, dispose } = await fetchGenerator(BASE, { fetch: fetchFixture });
  expect(backendInfo()).toMatchObject({ backend: 'wasm', simd: true });
  expect(requested.sort()).toEqual([`${BASE}/config.json`, `${BASE}/model.safetensors`]);
  const [first] = readExpected().greedy;
  expect((await generator.generate(first!.prefix, { maxTokens: first!.numTokens, strategy: 'greedy' })).text).toBe(first!.text);
  dispose();
});

it('fetchGenerator: a missing file is a CheckpointError naming the URL and the status', async () => {
  await expect(fetchGenerator('https://models.example/missing/', { fetch: fetchFixture })).rejects.toThrow(CheckpointError);
  await expect(fetchGenerator('https://models.example/missing/', { fetch: fetchFixture })).rejects.toThrow('https://models.example/missing/config.json answered HTTP 404');
});
