import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, tf } from '@recurrent/core';
import { Parameter } from '@recurrent/layers';
import { afterAll, beforeAll } from 'vitest';

/** A 1-D parameter holding `values`. */
export function param(values: number[]): Parameter {
  const t = tf.tensor1d(values);
  const p = new Parameter(t);
  t.dispose();
  return p;
}

/**
 * Runs `init()` before the file's tests and gives them a fresh temporary directory (removed
 * afterwards); read the returned function's result inside a test.
 */
export function useTempDir(prefix: string): () => string {
  let dir = '';
  beforeAll(async () => {
    await init();
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}
