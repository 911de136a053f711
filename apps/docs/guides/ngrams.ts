// Word frequencies and n-grams of a real book (Moby-Dick, shipped in a registry package and
// loaded offline), with d2l's preprocessing: letters only, lower case.
import { buildCorpus, loadMobyDick } from '@recurrent/datasets';
import { ngramCounts } from '@recurrent/tokenizers';

export async function main(): Promise<void> {
  const text = await loadMobyDick();
  const { tokens, vocab } = await buildCorpus(text, { level: 'word', preprocess: 'd2l' });
  console.log(`${tokens.length} words, vocabulary of ${vocab.size} (with <unk>)`);

  const tables = [1, 2, 3].map((n) => ngramCounts(tokens, n));
  for (const [i, table] of tables.entries()) {
    const n = i + 1;
    const once = table.filter((row) => row.count === 1).length;
    console.log(`\n${n}-grams: ${table.length} distinct, ${((100 * once) / table.length).toFixed(1)}% seen once`);
    for (const { ngram, count } of table.slice(0, 6)) console.log(`  ${ngram.join(' ').padEnd(18)} ${count}`);
  }

  // Zipf's law: frequency falls roughly as 1 / rank, so rank x frequency stays of one order.
  console.log('\nrank x frequency (unigrams):');
  const unigrams = tables[0]!;
  for (const rank of [1, 10, 100, 1000, 10000]) {
    const row = unigrams[rank - 1]!;
    console.log(`  rank ${String(rank).padStart(5)}  ${row.ngram[0]!.padEnd(10)} ${String(row.count).padStart(6)}  ${rank * row.count}`);
  }
}
