import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig, type DefaultTheme } from 'vitepress';
import { guides } from '../guides/guides';

const root = resolve(import.meta.dirname, '..');
const packages = ['core', 'tokenizers', 'datasets', 'layers', 'train', 'generate'];

/** The API sidebar of one package, from TypeDoc's output in api/ (generated, gitignored). */
function packageSidebar(pkg: string): DefaultTheme.SidebarItem[] {
  const dir = join(root, 'api', '@recurrent', pkg);
  const groups: DefaultTheme.SidebarItem[] = [];
  if (existsSync(dir)) {
    for (const kind of ['classes', 'functions', 'interfaces', 'type-aliases', 'variables', 'enumerations']) {
      const kindDir = join(dir, kind);
      if (!existsSync(kindDir)) continue;
      const items = readdirSync(kindDir)
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => ({ text: f.slice(0, -3), link: `/api/@recurrent/${pkg}/${kind}/${f.slice(0, -3)}` }));
      groups.push({ text: kind.replace('-', ' '), collapsed: kind !== 'classes' && kind !== 'functions', items });
    }
  }
  return [
    { text: 'API reference', link: '/api/', items: packages.map((p) => ({ text: `@recurrent/${p}`, link: `/api/@recurrent/${p}/` })) },
    { text: `@recurrent/${pkg}`, link: `/api/@recurrent/${pkg}/`, items: groups },
  ];
}

export default defineConfig({
  title: 'Recurrent',
  description: 'RNN, LSTM and GRU language models in TypeScript, with PyTorch semantics, on a SIMD WebAssembly backend',
  cleanUrls: true,
  lastUpdated: false,
  // Guide sources, their outputs, the test and build scripts live beside the pages but are not pages.
  srcExclude: ['test/**', 'scripts/**', '**/README.md', 'node_modules/**'],
  // TypeDoc links to symbols it does not document (tfjs types, internal helpers) resolve to nothing.
  ignoreDeadLinks: [/^\.\.?\/.*api\//, /\/api\//],
  markdown: { lineNumbers: false },
  themeConfig: {
    nav: [
      { text: 'Guides', link: '/guides/' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: {
      '/guides/': [
        { text: 'Guides', items: [{ text: 'Overview', link: '/guides/' }, ...guides.map((g) => ({ text: g.title, link: `/guides/${g.name}` }))] },
        // Pages that are mostly shell commands (no main() to run): their numbers come from tests.
        { text: 'Beyond one machine', items: [{ text: 'Train big with PyTorch, serve with Recurrent', link: '/guides/pytorch-ddp' }] },
      ],
      ...Object.fromEntries(packages.map((pkg) => [`/api/@recurrent/${pkg}/`, packageSidebar(pkg)])),
      '/api/': [{ text: 'API reference', link: '/api/', items: packages.map((p) => ({ text: `@recurrent/${p}`, link: `/api/@recurrent/${p}/` })) }],
    },
    search: { provider: 'local' },
    outline: { level: [2, 3] },
  },
});
