import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '@recurrent/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { findCases, formatReport, runCase } from './runner';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/torch');
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

describe('conformance: layer kinds against the PyTorch fixtures', () => {
  beforeAll(async () => {
    await init();
  });

  it('passes every rnn, lstm, gru, cell, embedding and linear case', async () => {
    const files = (await findCases(root)).filter((f) =>
      LAYER_KINDS.some((k) => f.includes(`/${k}/`)),
    );
    expect(files.length).toBe(87);
    const failed: string[] = [];
    for (const f of files) {
      const r = await runCase(f, root);
      expect(LAYER_KINDS).toContain(r.kind);
      if (!r.passed) failed.push(formatReport(r));
    }
    expect(failed).toEqual([]);
  });
});
