import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '@recurrent/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { findCases, formatReport, runCase } from '../../../apps/conformance/src/runner';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../apps/conformance/fixtures/torch');
const KINDS: Record<string, number> = { cross_entropy: 9, clip_grad_norm: 4, sgd_step: 6, adam_step: 6, adamw_step: 2 };

describe('conformance: loss, clipping and optimizer kinds against the PyTorch fixtures', () => {
  beforeAll(async () => {
    await init();
  });

  for (const [kind, count] of Object.entries(KINDS)) {
    it(`passes every ${kind} case`, async () => {
      const files = (await findCases(root)).filter((f) => f.includes(`/${kind}/`));
      expect(files.length).toBe(count);
      const failed: string[] = [];
      for (const f of files) {
        const r = await runCase(f, root);
        expect(r.kind).toBe(kind);
        if (!r.passed) failed.push(formatReport(r));
      }
      expect(failed).toEqual([]);
    });
  }
});
