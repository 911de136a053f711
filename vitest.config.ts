import { defineConfig } from 'vitest/config';
import { defaultServerConditions } from 'vite';

// One vitest run covers every package, reading each package's source through the
// `@recurrent/source` export condition (no build needed).
export default defineConfig({
  resolve: { conditions: ['@recurrent/source'] },
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
