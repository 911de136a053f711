// Every package's main entry is platform-neutral: bundled for a browser by esbuild (which, like
// Vite and webpack, fails on Node's built-in modules, and follows dynamic imports too) with no
// configuration, it resolves no `node:*` or other Node built-in module. What needs Node sits
// behind the `./node` subpath, one scheme for the four packages that have such parts.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const PACKAGES = ['core', 'tokenizers', 'datasets', 'layers', 'train', 'generate'];
const WITH_NODE_ENTRY = ['datasets', 'layers', 'train', 'generate'];
const root = fileURLToPath(new URL('../../', import.meta.url));
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

type Exports = Record<string, Record<string, string> | string | null>;
const manifest = (p: string) => JSON.parse(readFileSync(`${root}packages/${p}/package.json`, 'utf8')) as { exports: Exports; publishConfig: { exports: Exports }; files: string[] };

/** Bundles the entries for `platform`; returns esbuild's errors and the Node built-ins it met. */
async function bundle(entries: string[], platform: 'browser' | 'node') {
  const result = await build({
    entryPoints: entries,
    bundle: true,
    write: false,
    splitting: true,
    format: 'esm',
    outdir: '/virtual-out',
    platform,
    conditions: ['@recurrent/source'],
    metafile: true,
    logLevel: 'silent',
  }).catch((error: { errors?: Array<{ text: string }> }) => ({ errors: error.errors ?? [{ text: String(error) }], metafile: { inputs: {} } }));
  const inputs = Object.keys(result.metafile?.inputs ?? {});
  const external = Object.values(result.metafile?.outputs ?? {}).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  return { errors: result.errors.map((e) => e.text), nodeBuiltins: [...inputs, ...external].filter((p) => builtins.has(p)) };
}

describe('package entries', () => {
  it('the main entries of all six packages bundle for a browser without any Node built-in', async () => {
    const { errors, nodeBuiltins } = await bundle(PACKAGES.map((p) => `${root}packages/${p}/src/index.ts`), 'browser');
    expect(errors).toEqual([]);
    expect(nodeBuiltins).toEqual([]);
  });

  it('the ./node entries are what needs Node, and they bundle for Node', async () => {
    const browser = await bundle(WITH_NODE_ENTRY.map((p) => `${root}packages/${p}/src/node.ts`), 'browser');
    expect(browser.errors.join('\n')).toMatch(/node:fs|built into node/);
    const node = await bundle(WITH_NODE_ENTRY.map((p) => `${root}packages/${p}/src/node.ts`), 'node');
    expect(node.errors).toEqual([]);
  });

  it('one export scheme in every package.json: ".", "./node" where needed, "./testing", internals closed; dist only when published', () => {
    for (const p of PACKAGES) {
      const m = manifest(p);
      const subpaths = Object.keys(m.exports);
      expect(subpaths, p).toEqual(['.', ...(WITH_NODE_ENTRY.includes(p) ? ['./node'] : []), ...subpaths.filter((s) => !['.', './node', './internal/*', './package.json'].includes(s)), './internal/*', './package.json']);
      for (const [subpath, target] of Object.entries(m.exports)) {
        if (target === null || typeof target === 'string') continue;
        expect(target['@recurrent/source'], `${p} ${subpath}`).toMatch(/^\.\/src\/.+\.ts$/);
        const published = m.publishConfig.exports[subpath] as Record<string, string>;
        expect(published, `${p} ${subpath} published`).toEqual({ types: target.types, import: target.import });
        expect(target.import, `${p} ${subpath}`).toMatch(/^\.\/dist\/.+\.js$/);
      }
      expect(m.files, p).toEqual(['dist']);
    }
  });
});
