import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '@recurrent/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCases, formatReport, runCase } from './runner';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/torch');
// The train kinds (cross_entropy, clip_grad_norm, *_step) are tested by @recurrent/train.
const LAYER_KINDS = [
  'rnn',
  'lstm',
  'gru',
  'rnn_cell',
  'lstm_cell',
  'gru_cell',
  'embedding',
  'linear',
];
const RECURRENT = ['rnn', 'lstm', 'gru'];

async function failures(kinds: string[]): Promise<{ count: number; failed: string[] }> {
  const files = (await findCases(root)).filter((f) => kinds.some((k) => f.includes(`/${k}/`)));
  const failed: string[] = [];
  for (const f of files) {
    const r = await runCase(f, root);
    expect(kinds).toContain(r.kind);
    if (!r.passed) failed.push(formatReport(r));
  }
  return { count: files.length, failed };
}

describe('conformance: layer kinds against the PyTorch fixtures', () => {
  const saved = process.env.RECURRENT_RNN_IMPLEMENTATION;
  beforeAll(async () => {
    await init();
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.RECURRENT_RNN_IMPLEMENTATION;
    else process.env.RECURRENT_RNN_IMPLEMENTATION = saved;
  });

  it('passes every rnn, lstm, gru, cell, embedding and linear case (fused sequence ops)', async () => {
    delete process.env.RECURRENT_RNN_IMPLEMENTATION;
    const { count, failed } = await failures(LAYER_KINDS);
    expect(count).toBe(87);
    expect(failed).toEqual([]);
  });

  it('passes every rnn, lstm and gru case on the composed per-step reference', async () => {
    process.env.RECURRENT_RNN_IMPLEMENTATION = 'composed';
    const { count, failed } = await failures(RECURRENT);
    expect(count).toBe(68);
    expect(failed).toEqual([]);
  });
});
