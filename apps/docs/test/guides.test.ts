// Runs every guide in guides/guides.ts exactly as the site shows it: imports guides/<name>.ts,
// calls its main() with console.log captured, and compares what it printed with the committed
// guides/<name>.out.txt (the file the page includes). The guides are seeded, so the output is
// exact; a few facts per guide are also checked so a regenerated output cannot hide a regression.
// Regenerate the outputs after changing a guide: `npx vitest run apps/docs -u`.
import { format } from 'node:util';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { init, tf } from '@recurrent/core';
import { guides } from '../guides/guides';
import { facts } from './facts';

/** Guide timings are printed for information only: speed is measured in benchmarks, never asserted in tests. */
const timings: string[] = [];

async function captureLog(fn: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(format(...args));
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  await init();
});

describe('guides', () => {
  for (const guide of guides) {
    it(`${guide.name}: runs, frees its tensors, prints the committed output`, async () => {
      const mod = (await import(`../guides/${guide.name}.ts`)) as { main: () => Promise<void> };
      const tensorsBefore = tf.memory().numTensors;
      const start = performance.now();
      const out = await captureLog(mod.main);
      const ms = performance.now() - start;
      timings.push(`${guide.name} ${(ms / 1000).toFixed(2)} s`);
      expect(tf.memory().numTensors, 'tensors left alive by the guide').toBe(tensorsBefore);
      await expect(out).toMatchFileSnapshot(`../guides/${guide.name}.out.txt`);
      facts[guide.name]?.(out);
    });
  }

  it('every guide has a page that includes its code and its output', async () => {
    const { readFileSync } = await import('node:fs');
    for (const guide of guides) {
      const page = readFileSync(new URL(`../guides/${guide.name}.md`, import.meta.url), 'utf8');
      expect(page, guide.name).toContain(`<<< @/guides/${guide.name}.ts`);
      expect(page, guide.name).toContain(`<<< @/guides/${guide.name}.out.txt`);
    }
    if (timings.length > 0) console.info(`guide timings: ${timings.join(', ')}`);
  });
});
