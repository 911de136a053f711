// fetchGenerator: a checkpoint directory served over HTTP (a loopback server here), the way a
// browser page loads a checkpoint by URL.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, InvalidArgumentError, init, tf } from '@recurrent/core';
import { fetchGenerator } from '../src/index';
import { TM_DIR, readExpected } from './fixture';

let server: Server;
let base: string;
const requests: string[] = [];

beforeAll(async () => {
  await init();
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(path);
    const name = path.split('/').pop() ?? '';
    if (path.startsWith('/ckpt/') && ['config.json', 'model.safetensors'].includes(name)) {
      res.writeHead(200);
      res.end(readFileSync(join(TM_DIR, name)));
    } else if (path.startsWith('/broken/') && name === 'config.json') {
      res.writeHead(200);
      res.end('{"format": "recurrent-lm/1"}');
    } else if (path.startsWith('/broken/')) {
      res.writeHead(200);
      res.end(readFileSync(join(TM_DIR, name)));
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('fetchGenerator', () => {
  it('loads a checkpoint directory by URL (with or without the trailing slash) and generates its greedy text', async () => {
    for (const url of [`${base}/ckpt/`, new URL(`${base}/ckpt`)]) {
      const loaded = await fetchGenerator(url);
      for (const g of readExpected().greedy) {
        expect((await loaded.generator.generate(g.prefix, { maxTokens: g.numTokens })).text).toBe(g.text);
      }
      loaded.dispose();
    }
    expect(requests).toContain('/ckpt/model.safetensors');
  });

  it('a missing file is a CheckpointError naming the URL and the status, and leaves no tensor', async () => {
    const before = tf.memory().numTensors;
    const error = await fetchGenerator(`${base}/missing`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(String((error as Error).message)).toMatch(/fetchGenerator: http:\/\/127\.0\.0\.1:\d+\/missing\/(config\.json|model\.safetensors) answered HTTP 404/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a config that is not a checkpoint config is refused before a model is built', async () => {
    const before = tf.memory().numTensors;
    await expect(fetchGenerator(`${base}/broken`)).rejects.toThrow(CheckpointError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a failed request and bad arguments are typed errors', async () => {
    await expect(fetchGenerator('http://127.0.0.1:1/nothing-listens-here')).rejects.toThrow(/fetchGenerator: http:\/\/127\.0\.0\.1:1\/nothing-listens-here\/(config\.json|model\.safetensors) could not be fetched/);
    await expect(fetchGenerator(42 as never)).rejects.toThrow(InvalidArgumentError);
    await expect(fetchGenerator(`${base}/ckpt`, { fetch: 'no' as never })).rejects.toThrow(/'options\.fetch' must be a fetch function/);
  });
});
