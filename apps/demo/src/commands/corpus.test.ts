import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCorpusCommand, runCorpus } from './corpus';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recurrent-corpus-cli-'));
  await writeFile(join(dir, 'tm.txt'), 'The Time Machine, by H. G. Wells [1898]\n\n\nI\n\nThe Time Traveller (for so it will be convenient to speak of him)\n');
  await writeFile(join(dir, 'zh.txt'), '北京冬奥的进度条已经过半，不少外国运动员在完成自己的比赛后踏上归途。\n');
  await writeFile(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  await writeFile(join(dir, 'digits.txt'), '1898 -- 1900\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Parses argv with the command registered on a fresh program; returns what it printed. */
async function run(argv: string[]): Promise<string> {
  let out = '';
  const program = new Command('recurrent').exitOverride();
  registerCorpusCommand(program, (s) => (out += s));
  await program.parseAsync(argv, { from: 'user' });
  return out;
}

describe('recurrent corpus', () => {
  it('prints tokens, vocabSize and the ten most frequent tokens as JSON (char, d2l)', async () => {
    const out = await run(['corpus', join(dir, 'tm.txt'), '--level', 'char', '--preprocess', 'd2l']);
    expect(out.endsWith('\n')).toBe(true);
    const report = JSON.parse(out) as { tokens: number; vocabSize: number; top: [string, number][] };
    expect(Object.keys(report)).toEqual(['tokens', 'vocabSize', 'top']);
    const text = 'the time machine by h g wellsithe time traveller for so it will be convenient to speak of him';
    expect(report.tokens).toBe(text.length);
    expect(report.vocabSize).toBe(new Set(text).size + 1);
    expect(report.top).toHaveLength(10);
    expect(report.top[0]).toEqual([' ', text.split(' ').length - 1]);
    expect(report.top[1]).toEqual(['e', [...text].filter((c) => c === 'e').length]);
  });

  it('counts words, and jieba words', async () => {
    const words = JSON.parse(await run(['corpus', join(dir, 'tm.txt'), '--level', 'word', '--preprocess', 'd2l']));
    expect(words.tokens).toBe(21);
    expect(words.top.slice(0, 2)).toEqual([['the', 2], ['time', 2]]);
    const zh = await runCorpus(join(dir, 'zh.txt'), { level: 'jieba', preprocess: 'none' });
    expect(zh.tokens).toBe(20); // 19 words and the newline
    expect(zh.top[0]).toEqual(['的', 2]);
  });

  it('with --vocab also prints the whole vocabulary in id order', async () => {
    const report = JSON.parse(await run(['corpus', join(dir, 'tm.txt'), '--level', 'word', '--preprocess', 'd2l', '--vocab']));
    expect(report.vocab).toHaveLength(report.vocabSize);
    expect(report.vocab.slice(0, 4)).toEqual(['<unk>', 'the', 'time', 'machine']); // unk, then by count, ties in first-seen order
    expect(report.vocab.slice(1, 11)).toEqual(report.top.map(([t]: [string, number]) => t));
  });

  it('defaults to char level without preprocessing', async () => {
    const report = JSON.parse(await run(['corpus', join(dir, 'zh.txt')]));
    expect(report.tokens).toBe(Array.from('北京冬奥的进度条已经过半，不少外国运动员在完成自己的比赛后踏上归途。\n').length);
  });

  it('throws typed errors: not UTF-8, missing file, no tokens', async () => {
    await expect(run(['corpus', join(dir, 'latin1.txt')])).rejects.toThrow(/latin1\.txt: is not UTF-8 text \(invalid byte at offset \d+\); save it as UTF-8/);
    await expect(run(['corpus', join(dir, 'absent.txt')])).rejects.toThrow(/absent\.txt: not found; give the path of a UTF-8 text file/);
    await expect(run(['corpus', join(dir, 'digits.txt'), '--level', 'word', '--preprocess', 'd2l'])).rejects.toThrow(/digits\.txt: has no word tokens after --preprocess d2l/);
  });

  it('refuses a level or preprocessing outside the choices', async () => {
    await expect(run(['corpus', join(dir, 'tm.txt'), '--level', 'bpe'])).rejects.toThrow(/Allowed choices are char, word, jieba/);
    await expect(run(['corpus', join(dir, 'tm.txt'), '--preprocess', 'lower'])).rejects.toThrow(/d2l, none/);
  });
});
