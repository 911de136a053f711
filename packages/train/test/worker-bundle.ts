// The data-parallel worker script, bundled from source for tests (see scripts/test/bundle-source.ts).
import { fileURLToPath } from 'node:url';
import { bundleSource } from '../../../scripts/test/bundle-source';

const entry = fileURLToPath(new URL('../src/parallel/worker-entry.ts', import.meta.url));

/** Builds the worker script into a temporary directory; returns its URL and a cleanup. */
export async function bundleWorker(): Promise<{ url: URL; cleanup: () => Promise<void> }> {
  const { url, cleanup } = await bundleSource(entry, 'parallel-worker');
  return { url, cleanup };
}
