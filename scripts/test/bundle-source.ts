// Tests run on source, but a child process or a worker thread is plain Node, which cannot load
// @recurrent/core's source (tfjs-core's gradient registrations use extension-less imports). This
// bundles an entry with esbuild (installed with vite) the way tsup builds dist: @recurrent/* from
// source through the `@recurrent/source` condition, with their `#` subpath imports and the
// gradient registrations inlined; every other package stays an import of its installed file.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ResolveArgs {
  path: string;
  kind: string;
  resolveDir: string;
  pluginData?: unknown;
}
interface PluginBuild {
  onResolve(options: { filter: RegExp }, cb: (args: ResolveArgs) => Promise<object | undefined>): void;
  resolve(path: string, options: { kind: string; resolveDir: string; pluginData: unknown }): Promise<{ path: string; external: boolean; errors: unknown[] }>;
}
interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/** Builds `entry` (a .ts file) into a temporary directory as `<name>.mjs`; returns its URL, path and a cleanup. */
export async function bundleSource(entry: string, name: string): Promise<{ url: URL; file: string; cleanup: () => Promise<void> }> {
  const vite = createRequire(import.meta.url).resolve('vite/package.json');
  const esbuild = createRequire(vite)('esbuild') as Esbuild;
  const dir = await mkdtemp(join(tmpdir(), `recurrent-${name}-`));
  const outfile = join(dir, `${name}.mjs`);
  const plugin = {
    name: 'installed-packages-external',
    setup(build: PluginBuild) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        // Bundled: our packages, their subpath imports (core's '#tfjs-gradients') and the gradients.
        if (args.pluginData === 'inner' || args.path.startsWith('@recurrent/') || args.path.startsWith('#') || args.path.includes('register_all_gradients')) return undefined;
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'inner' });
        if (r.errors.length > 0) return { errors: r.errors };
        return { path: r.external ? r.path : pathToFileURL(r.path).href, external: true };
      });
    },
  };
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    conditions: ['@recurrent/source'],
    plugins: [plugin],
    logLevel: 'error',
  });
  return { url: pathToFileURL(outfile), file: outfile, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
