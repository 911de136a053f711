/**
 * Checks the published corpus numbers on the real files (not a test: the files are not in the
 * repository). Run: `npx tsx packages/datasets/bench/corpus-numbers.ts [DATA_DIR]` (default
 * ../shared/data). Also reports jieba throughput on the Tang poems when present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTokenizer } from '@recurrent/tokenizers';
import { buildCorpus, loadMobyDick, sequentialBatches } from '../src/index';
import { loadCorpusTimeMachine } from '../src/node';

const dir = process.argv[2] ?? join(process.cwd(), '..', 'shared', 'data');
let failures = 0;
function expectEqual(name: string, actual: unknown, expected: unknown): void {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${JSON.stringify(actual)}${ok ? '' : ` (expected ${JSON.stringify(expected)})`}`);
}

const tm = join(dir, 'timemachine.txt');
if (existsSync(tm)) {
  const c = await loadCorpusTimeMachine({ path: tm });
  expectEqual('timemachine char d2l tokens', c.ids.length, 170580);
  expectEqual('timemachine char d2l vocab', c.vocab.idToToken.join(''), '<unk> etainoshrdlmucfwgypbvkxzjq');
  const w = await loadCorpusTimeMachine({ path: tm, level: 'word' });
  expectEqual('timemachine word d2l tokens', w.ids.length, 32775);
  expectEqual('timemachine word d2l vocab', w.vocab.size, 4580);
  expectEqual('top words', w.vocab.idToToken.slice(1, 11), ['the', 'i', 'and', 'of', 'a', 'to', 'was', 'in', 'that', 'my']);
  expectEqual('sequential B=32 T=35 offset 0 batches', [...sequentialBatches(c.ids, { batchSize: 32, numSteps: 35, offset: 0 })].length, 152);
} else console.log(`skip: ${tm} not found`);

const moby = await loadMobyDick();
expectEqual('moby-dick code points', Array.from(moby).length, 1213006);
const mw = await buildCorpus(moby, { level: 'word', preprocess: 'd2l', minFreq: 3 });
expectEqual('moby-dick d2l words', mw.ids.length, 218367);
expectEqual('moby-dick d2l vocab (minFreq 3, with <unk>)', mw.vocab.size, 6732);

const poems = join(dir, 'tang_poems_sample.txt');
if (existsSync(poems)) {
  const text = readFileSync(poems, 'utf8').repeat(10);
  const jieba = createTokenizer({ level: 'jieba' });
  await jieba.tokenize('热身');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const tokens = await jieba.tokenize(text);
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0).user / 1e6;
  const mb = Buffer.byteLength(text) / 1e6;
  // CPU time too: on a shared machine the wall clock mostly measures the other processes.
  console.log(`jieba: ${tokens.length} words from ${mb.toFixed(2)} MB: ${(mb / s).toFixed(2)} MB/s wall, ${(mb / cpu).toFixed(2)} MB/s of CPU time`);
  expectEqual('jieba lossless', tokens.join('') === text, true);
}
if (failures > 0) process.exitCode = 1;
