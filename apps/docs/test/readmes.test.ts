// Every package README starts with an install line and a first TypeScript example; the example
// must run against the real API. Each one is written to .vitepress/cache/readme-snippets/<pkg>.ts
// (gitignored and outside lint), imported with console.log captured, and must finish without throwing and without
// leaving tensors behind.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { init, tf } from '@recurrent/core';

const PACKAGES = ['core', 'tokenizers', 'datasets', 'layers', 'train', 'generate'];
const snippetDir = new URL('../.vitepress/cache/readme-snippets/', import.meta.url);

beforeAll(async () => {
  await init();
  mkdirSync(snippetDir, { recursive: true });
});


/** Writes a README's first ```ts example to the cache, imports it and returns what it printed. */
async function runFirstExample(readme: string, name: string): Promise<string[]> {
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example, 'a ```ts example').toBeDefined();
  const file = new URL(`${name}.ts`, snippetDir);
  writeFileSync(file, example!);
  const before = tf.memory().numTensors;
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  });
  try {
    await import(/* @vite-ignore */ file.href);
  } finally {
    spy.mockRestore();
  }
  expect(tf.memory().numTensors, 'tensors left by the example').toBe(before);
  return lines;
}

describe('package READMEs', () => {
  it('the root README: a first example that runs', async () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    // examples/node, which the release rehearsal installs from a registry and runs, is this example.
    const example = readFileSync(new URL('../../../examples/node/index.mjs', import.meta.url), 'utf8');
    expect(example, 'examples/node/index.mjs is the README example').toBe(/```ts\n([\s\S]*?)```/.exec(readme)?.[1]);
    const lines = await runFirstExample(readme, 'root');
    expect(lines[0], 'perplexity per epoch').toMatch(/^\d+\.\d\d -> \d+\.\d\d -> \d+\.\d\d$/);
    const perplexities = lines[0]!.split(' -> ').map(Number);
    expect(perplexities[2], 'perplexity falls').toBeLessThan(perplexities[0]!);
    // A newcomer's first output: the prefix, then words the model learned (not blanks).
    expect(lines[1]).toMatch(/^the whale/);
    const words = lines[1]!.slice('the whale'.length).trim().split(/\s+/).filter((w) => /^[a-z]{2,}$/.test(w));
    expect(words.length, `words in ${JSON.stringify(lines[1])}`).toBeGreaterThanOrEqual(4);
  }, 120_000);

  for (const pkg of PACKAGES) {
    it(`@recurrent/${pkg}: install line and a first example that runs`, async () => {
      const readme = readFileSync(new URL(`../../../packages/${pkg}/README.md`, import.meta.url), 'utf8');
      expect(readme).toMatch(new RegExp(`\`\`\`sh\\nnpm install @recurrent/${pkg}\\b`));
      const lines = await runFirstExample(readme, pkg);
      expect(lines.length, 'the example prints something').toBeGreaterThan(0);
    });
  }
});
