import { defineConfig } from 'tsup';

// The `recurrent` bin. @recurrent/* stay external and resolve to their built dist in Node.
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
});
