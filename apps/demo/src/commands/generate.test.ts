import { readFileSync } from 'node:fs';
import { checkpointDir } from '@recurrent/fixtures';
import { describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_USAGE, createProgram, runCli, type CliOutput } from '../program';
import { registerGenerateCommand } from './generate';

// The PyTorch golden checkpoint (@recurrent/fixtures).
const checkpoint = checkpointDir('tm-lstm-onehot');
const expected = JSON.parse(readFileSync(`${checkpoint}/expected.json`, 'utf8')) as {
  greedy: { prefix: string; numTokens: number; text: string }[];
};

async function run(argv: string[]): Promise<{ code: number; out: string; err: string; writes: number }> {
  let out = '';
  let err = '';
  let writes = 0;
  const output: CliOutput = {
    out: (s) => {
      out += s;
      writes++;
    },
    err: (s) => (err += s),
  };
  const program = createProgram();
  registerGenerateCommand(program, output);
  const code = await runCli(program, argv, output);
  return { code, out, err, writes };
}

describe('recurrent generate', () => {
  it("prints exactly expected.json's greedy text for every prefix, streamed token by token", async () => {
    for (const g of expected.greedy) {
      const r = await run(['generate', '--checkpoint', checkpoint, '--prefix', g.prefix, '--tokens', String(g.numTokens)]);
      expect(r.err).toBe('');
      expect(r.code).toBe(EXIT_OK);
      expect(r.out).toBe(`${g.text}\n`);
      expect(r.writes).toBe(g.numTokens + 2); // prefix, one write per token, newline
    }
  });

  it('samples reproducibly with a seed; beam width 1 prints the greedy text', async () => {
    const args = ['generate', '--checkpoint', checkpoint, '--prefix', 'the time', '--tokens', '20'];
    const a = await run([...args, '--strategy', 'sample', '--temperature', '0.9', '--top-k', '5', '--top-p', '0.95', '--seed', '7']);
    const b = await run([...args, '--strategy', 'sample', '--temperature', '0.9', '--top-k', '5', '--top-p', '0.95', '--seed', '7']);
    expect(a.code).toBe(EXIT_OK);
    expect(a.out).toBe(b.out);
    expect(a.out.startsWith('the time')).toBe(true);
    const greedy = await run(args);
    const beam = await run([...args, '--strategy', 'beam', '--beam', '1']);
    expect(beam.out).toBe(greedy.out);
  });

  it('reports bad values as one line: typed library errors and usage errors', async () => {
    const base = ['generate', '--checkpoint', checkpoint, '--prefix', 'time'];
    const t = await run([...base, '--temperature', '0']);
    expect(t.code).toBe(EXIT_USAGE);
    expect(t.err).toBe('recurrent: --temperature 0: must be a finite number > 0; see recurrent generate --help\n');
    expect(t.out).toBe('');
    expect((await run([...base, '--top-p', '1.5'])).err).toMatch(/--top-p 1.5: must be a finite number > 0 and <= 1;/);
    expect((await run([...base, '--top-k', '0'])).err).toMatch(/--top-k 0: must be a positive integer;/);
    expect((await run([...base, '--beam', '0'])).err).toMatch(/--beam 0: must be a positive integer;/);
    expect((await run(['generate', '--checkpoint', checkpoint, '--prefix', ''])).err).toMatch(/--prefix "": 'prefix' must be a non-empty string, got ""; give some text to continue/);
    expect((await run([...base, '--top-k', 'many'])).code).toBe(EXIT_USAGE);
    const missing = await run(['generate', '--checkpoint', `${checkpoint}-nope`, '--prefix', 'time']);
    expect(missing.code).toBe(EXIT_USAGE);
    expect(missing.err).toMatch(/--checkpoint \S+-nope: not found; give a directory written by `recurrent train --out DIR`/);
    const unknown = await run([...base, '--prefix', 'time ✓', '--unknown', 'error']);
    expect(unknown.code).toBe(EXIT_USAGE);
    expect(unknown.err).toMatch(/--prefix "time ✓": 'prefix' must be tokens of the vocabulary, got "✓"; use tokens of the checkpoint's vocabulary, or --unknown unk/);
  });
});
