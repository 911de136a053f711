// Parity check (a script, not a test) of a reference checkpoint against its expected.json:
// greedy text for every prefix, first-step logits, and the eval perplexity on its corpus.
// Run: npx vitest run -c packages/generate/bench/vitest.config.ts parity
//   CHECKPOINT=dir (default: @recurrent/fixtures' tm-lstm-onehot), DATA=dir with timemachine.txt (default ../shared/data).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { init } from '@recurrent/core';
import { tokenizeText } from '@recurrent/tokenizers';
import { loadGenerator } from '../src/node';
import { TM_DIR, type Expected } from '../test/fixture';
import { sequentialPerplexity } from '../test/perplexity';

const dir = process.env.CHECKPOINT ?? TM_DIR;
const data = process.env.DATA ?? join(process.cwd(), '..', 'shared', 'data');
const corpora: Record<string, { file: string; level: 'char' | 'word'; preprocess: 'd2l' | 'none' }> = {
  'timemachine d2l char': { file: 'timemachine.txt', level: 'char', preprocess: 'd2l' },
  'timemachine d2l word': { file: 'timemachine.txt', level: 'word', preprocess: 'd2l' },
};

it(`parity of ${dir}`, async () => {
  await init();
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  const { generator, model, config, dispose } = await loadGenerator(dir);
  let failures = 0;
  const report = (ok: boolean, line: string) => {
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`);
  };
  for (const g of expected.greedy) {
    const r = await generator.generate(g.prefix, { maxTokens: g.numTokens });
    report(r.text === g.text, `greedy ${JSON.stringify(g.prefix)} -> ${JSON.stringify(r.text)}`);
  }
  const got = await generator.firstStepLogits(expected.logits.prefix);
  const diff = Math.max(...expected.logits.firstStep.map((v, i) => Math.abs(v - got[i]!)));
  report(diff < 1e-4, `first-step logits max |diff| ${diff.toExponential(2)} (limit 1e-4)`);
  const spec = corpora[expected.eval.corpus];
  const file = spec ? join(data, spec.file) : '';
  if (spec && existsSync(file)) {
    const tokens = tokenizeText(readFileSync(file, 'utf8'), spec.level, spec.preprocess);
    const index = new Map(config.vocab.tokens.map((t, i) => [t, i]));
    const unk = config.vocab.unk === null ? 0 : index.get(config.vocab.unk)!;
    const ids = Int32Array.from(tokens, (t) => index.get(t) ?? unk);
    const t0 = performance.now();
    const { perplexity, targets } = sequentialPerplexity(model, ids, expected.eval.batchSize, expected.eval.numSteps);
    const rel = Math.abs(perplexity - expected.eval.perplexity) / expected.eval.perplexity;
    report(rel < 1e-3, `perplexity ${perplexity} vs ${expected.eval.perplexity} (rel ${rel.toExponential(2)}, limit 1e-3; ${targets} targets, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  } else {
    console.log(`skip perplexity: corpus ${JSON.stringify(expected.eval.corpus)} not found under ${data}`);
  }
  dispose();
  expect(failures).toBe(0);
});
