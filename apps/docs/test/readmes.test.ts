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

describe('package READMEs', () => {
  for (const pkg of PACKAGES) {
    it(`@recurrent/${pkg}: install line and a first example that runs`, async () => {
      const readme = readFileSync(new URL(`../../../packages/${pkg}/README.md`, import.meta.url), 'utf8');
      expect(readme).toMatch(new RegExp(`\`\`\`sh\\nnpm install @recurrent/${pkg}\\b`));
      const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
      expect(example, 'a ```ts example').toBeDefined();
      const file = new URL(`${pkg}.ts`, snippetDir);
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
      expect(lines.length, 'the example prints something').toBeGreaterThan(0);
      expect(tf.memory().numTensors, 'tensors left by the example').toBe(before);
    });
  }
});
