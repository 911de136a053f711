import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/testing.ts', 'src/tuning.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'es2022',
  // tfjs-core's gradient registrations are ESM with extension-less imports: bundle them.
  noExternal: [/register_all_gradients/],
  platform: 'neutral',
  external: ['node:*'],
});
