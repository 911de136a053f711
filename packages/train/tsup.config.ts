import { defineConfig } from 'tsup';

export default defineConfig({
  // `parallel-worker` is the script DataParallelTrainer's worker threads run; it must sit beside
  // `node.js` (the trainer finds it as `new URL('./parallel-worker.js', import.meta.url)`).
  entry: { index: 'src/index.ts', testing: 'src/testing.ts', node: 'src/node.ts', 'parallel-worker': 'src/parallel/worker-entry.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', testing: 'src/testing.ts', node: 'src/node.ts' } },
  clean: true,
  target: 'es2022',
});
