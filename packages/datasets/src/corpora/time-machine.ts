import { checkInt, checkOneOf, InvalidArgumentError } from '@recurrent/core';
import { buildCorpus, type Corpus } from '../corpus/build-corpus';
import { ChecksumError } from '../errors/dataset-errors';
import { downloadCached, hashBytes, type DownloadOptions } from '../loaders/download';
import { readBytes } from '../loaders/text-file';
import { decodeUtf8 } from '../loaders/utf8';

/** d2l's download location of The Time Machine (its `DATA_URL` + `timemachine.txt`). */
export const TIME_MACHINE_URL = 'http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt';
/** sha1 of d2l's copy (`DATA_HUB['time_machine']`). */
export const TIME_MACHINE_SHA1 = '090b5e7e70c295757f55df93cb0a180b9691891a';

export interface TimeMachineOptions extends Pick<DownloadOptions, 'cacheDir' | 'signal'> {
  /** Read this local copy instead of downloading (it must have d2l's sha1). */
  path?: string;
  /** Download from here instead of d2l's bucket (a mirror; the sha1 is still checked). */
  url?: string;
}

/**
 * The raw text of H. G. Wells' *The Time Machine*, d2l's copy (Node): from `path` if given, else
 * downloaded once from `url` (default d2l's) into the cache and checked against d2l's sha1.
 * Apply d2l's preprocessing with `createTokenizer({ level, preprocess: 'd2l' })` or
 * `loadCorpusTimeMachine`.
 */
export async function loadTimeMachine(options: TimeMachineOptions = {}): Promise<string> {
  checkTimeMachineOptions('loadTimeMachine', options);
  if (options.path !== undefined) {
    const bytes = await readBytes('loadTimeMachine', options.path);
    const actual = await hashBytes(bytes, 'sha1');
    if (actual !== TIME_MACHINE_SHA1) throw new ChecksumError('loadTimeMachine', options.path, 'sha1', TIME_MACHINE_SHA1, actual);
    return decodeUtf8(bytes, 'loadTimeMachine', 'path', options.path);
  }
  const file = await downloadCached(options.url ?? TIME_MACHINE_URL, {
    sha1: TIME_MACHINE_SHA1,
    fileName: 'timemachine.txt',
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return decodeUtf8(await readBytes('loadTimeMachine', file), 'loadTimeMachine', 'url', file);
}

/**
 * d2l's `load_corpus_time_machine`: The Time Machine with d2l's per-line preprocessing, at char
 * level (170,580 tokens, vocabulary 28) or word level (32,775 tokens, vocabulary 4,580).
 */
export async function loadCorpusTimeMachine(
  options: TimeMachineOptions & { level?: 'char' | 'word'; maxTokens?: number } = {},
): Promise<Corpus> {
  const fn = 'loadCorpusTimeMachine';
  checkTimeMachineOptions(fn, options);
  const level = checkOneOf(fn, 'options.level', options.level ?? 'char', ['char', 'word'] as const);
  if (options.maxTokens !== undefined) checkInt(fn, 'options.maxTokens', options.maxTokens, 0);
  const text = await loadTimeMachine(options);
  return buildCorpus(text, { level, preprocess: 'd2l', ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }) });
}

function checkTimeMachineOptions(fn: string, options: TimeMachineOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError({ fn, argument: 'options', expected: 'an object', received: options });
  for (const key of ['path', 'url', 'cacheDir'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new InvalidArgumentError({ fn, argument: `options.${key}`, expected: 'a non-empty string', received: v });
  }
}
