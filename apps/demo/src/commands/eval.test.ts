// The path behind `recurrent eval` (runEval: read the corpus, load the checkpoint, tokenize as it
// says, sequential windows from offset 0 with the state carried) against PyTorch's perplexity of
// the same checkpoint on text that ships with the tests (Moby-Dick, from a registry package), as
// examples/pytorch/recurrent_torch.py computed it (@recurrent/fixtures: eval-moby-dick.json).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMobyDick } from '@recurrent/datasets';
import { checkpointDir } from '@recurrent/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { runEval } from './eval';

const checkpoint = checkpointDir('tm-lstm-onehot');
const expected = JSON.parse(readFileSync(join(checkpoint, 'eval-moby-dick.json'), 'utf8')) as { codePoints: number; sha256: string; batchSize: number; numSteps: number; targets: number; perplexity: number };
const dir = mkdtempSync(join(tmpdir(), 'recurrent-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recurrent eval against PyTorch', () => {
  it("gives PyTorch's perplexity of tm-lstm-onehot on the start of Moby-Dick within 1e-4 relative", async () => {
    const text = Array.from(await loadMobyDick()).slice(0, expected.codePoints).join('');
    expect(createHash('sha256').update(text).digest('hex')).toBe(expected.sha256);
    const corpus = join(dir, 'moby-dick.txt');
    writeFileSync(corpus, text);
    let out = '';
    const r = await runEval({ checkpoint, corpus, batch: expected.batchSize, steps: expected.numSteps, json: true }, { out: (s) => void (out += s), err: () => {} });
    expect(r.tokens).toBe(expected.targets);
    expect(Math.abs(r.perplexity - expected.perplexity) / expected.perplexity).toBeLessThan(1e-4);
    expect(JSON.parse(out).perplexity).toBe(r.perplexity);
    console.log(`eval: perplexity ${r.perplexity} against PyTorch's ${expected.perplexity} (relative difference ${(Math.abs(r.perplexity - expected.perplexity) / expected.perplexity).toExponential(2)})`);
  });
});
