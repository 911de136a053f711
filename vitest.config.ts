import { fileURLToPath } from 'node:url';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

const packages = fileURLToPath(new URL('./packages/', import.meta.url));
const published = '(core|tokenizers|datasets|layers|train|generate)';

// One vitest run covers every package, reading each package's source through the
// `@recurrent/source` export condition (no build needed).
export default defineConfig({
  resolve: {
    conditions: ['@recurrent/source'],
    // The consumer projects under examples/ are outside the workspace (they install the published
    // packages); the docs' guide runner runs their platform-neutral code on the packages' source.
    alias: [
      { find: new RegExp(`^@recurrent/${published}$`), replacement: `${packages}$1/src/index.ts` },
      { find: new RegExp(`^@recurrent/${published}/node$`), replacement: `${packages}$1/src/node.ts` },
    ],
  },
  ssr: { resolve: { conditions: ['@recurrent/source', ...defaultServerConditions] } },
  test: {
    include: ['scripts/test/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // tfjs-core's gradient registrations are ESM files with extension-less imports: let vite resolve them.
    server: { deps: { inline: [/@tensorflow\/tfjs-core\/dist\/(?!tf-core)/] } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './scripts/totals-reporter.ts'],
  },
});
