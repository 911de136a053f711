import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  clean: true,
  target: 'es2022',
  // tfjs-core's chained-op registrations (needed by tfjs-layers, the baseline) are ESM files with
  // extension-less imports: bundle them.
  noExternal: [/register_all_chained_ops/],
});
