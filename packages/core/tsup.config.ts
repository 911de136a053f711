import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing.ts',
    tuning: 'src/tuning.ts',
    // What `#tfjs-gradients` means in Node (package.json `imports`): tfjs-core's gradient
    // registrations bundled, since Node cannot load its ESM files.
    'tfjs-gradients.node': 'src/runtime/register-gradients.ts',
  },
  dts: { entry: { index: 'src/index.ts', testing: 'src/testing.ts', tuning: 'src/tuning.ts' } },
  format: ['esm'],
  clean: true,
  target: 'es2022',
  // Bundled into tfjs-gradients.node.js only: the other entries import '#tfjs-gradients'.
  noExternal: [/register_all_gradients/],
  platform: 'neutral',
  external: ['node:*', '#tfjs-gradients'],
});
