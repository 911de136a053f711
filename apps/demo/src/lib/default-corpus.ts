import { loadMobyDick } from '@recurrent/datasets';

/** The default corpus: Moby-Dick, shipped inside a registry package (works offline after install). */
export async function loadDefaultCorpus(): Promise<{ name: string; text: string }> {
  return { name: 'Moby-Dick (Herman Melville)', text: await loadMobyDick() };
}
