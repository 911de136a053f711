import { InvalidArgumentError } from '@recurrent/core';
import { loadMobyDick } from '../corpora/moby-dick';
import { loadTimeMachine } from '../corpora/time-machine';
import { loadUrl, type DownloadOptions } from './download';
import { readTextFile } from './text-file';

/** Corpora known by name: `moby-dick` ships in a registry package (offline), `time-machine` is downloaded once. */
export const NAMED_CORPORA = ['moby-dick', 'time-machine'] as const;
export type CorpusName = (typeof NAMED_CORPORA)[number];

/** Where a corpus's text comes from. */
export type TextSource =
  | { text: string }
  | { file: string }
  | ({ url: string } & DownloadOptions)
  | { corpus: CorpusName; cacheDir?: string };

/** Loads a corpus's raw text from a string, a UTF-8 file, a verified cached URL or a named corpus. */
export async function loadText(source: TextSource): Promise<string> {
  if (typeof source !== 'object' || source === null) {
    throw new InvalidArgumentError({ fn: 'loadText', argument: 'source', expected: '{text}, {file}, {url, sha256|sha1} or {corpus}', received: source });
  }
  const kinds = (['text', 'file', 'url', 'corpus'] as const).filter((k) => k in source);
  if (kinds.length !== 1) {
    throw new InvalidArgumentError({ fn: 'loadText', argument: 'source', expected: 'exactly one of text, file, url or corpus', received: kinds.length === 0 ? source : `${kinds.join(' and ')}` });
  }
  if ('text' in source) {
    if (typeof source.text !== 'string') throw new InvalidArgumentError({ fn: 'loadText', argument: 'source.text', expected: 'a string', received: source.text });
    return source.text;
  }
  if ('file' in source) {
    if (typeof source.file !== 'string' || source.file === '') throw new InvalidArgumentError({ fn: 'loadText', argument: 'source.file', expected: 'a file path', received: source.file });
    return readTextFile(source.file);
  }
  if ('url' in source) {
    const { url, ...options } = source;
    return loadUrl(url, options);
  }
  if ('corpus' in source) {
    if (source.corpus === 'moby-dick') return loadMobyDick();
    if (source.corpus === 'time-machine') return loadTimeMachine(source.cacheDir === undefined ? {} : { cacheDir: source.cacheDir });
    throw new InvalidArgumentError({ fn: 'loadText', argument: 'source.corpus', expected: `one of ${NAMED_CORPORA.map((n) => `'${n}'`).join(', ')}`, received: source.corpus });
  }
  throw new InvalidArgumentError({ fn: 'loadText', argument: 'source', expected: '{text}, {file}, {url, sha256|sha1} or {corpus}', received: source });
}
