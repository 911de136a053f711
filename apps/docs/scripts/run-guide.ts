// Runs one guide from the command line, the same code the docs test runs:
//   pnpm build && node --import tsx apps/docs/scripts/run-guide.ts rnn-from-scratch
// (plain Node runs the built packages; the tests run the same guides on source through vitest)
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const name = process.argv[2];
if (!name) {
  console.error('usage: run-guide.ts <guide-name>');
  process.exit(2);
}
const file = resolve(import.meta.dirname, '..', 'guides', `${name}.ts`);
const guide = (await import(pathToFileURL(file).href)) as { main: () => Promise<void> };
const start = performance.now();
await guide.main();
console.error(`(${name}: ${((performance.now() - start) / 1000).toFixed(2)} s)`);
