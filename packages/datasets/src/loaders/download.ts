// Downloads into a verified local cache (Node only: `@recurrent/datasets/node`).
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { checkOneOf, InvalidArgumentError } from '@recurrent/core';
import { ChecksumError, DownloadError } from '../errors/dataset-errors';
import { defaultCacheDir } from './cache-dir';
import { decodeUtf8 } from './utf8';

export interface DownloadOptions {
  /** Expected sha256 of the file, hex. Give this or `sha1` (or neither: the file is then trusted as is). */
  sha256?: string;
  /** Expected sha1 of the file, hex (what d2l's DATA_HUB stores). */
  sha1?: string;
  /** Where to cache; default `defaultCacheDir()` (`$RECURRENT_CACHE_DIR` overrides it). */
  cacheDir?: string;
  /** The cached file's name; default the last segment of the URL's path (as d2l). */
  fileName?: string;
  /** Aborts the download. */
  signal?: AbortSignal;
}

const HEX = /^[0-9a-f]+$/i;

/**
 * Downloads `url` into the cache once and returns the cached file's path (Node). A cached file
 * whose checksum matches is used without a request; one that does not match is downloaded again.
 * The bytes are streamed to a temporary file in the cache directory, hashed on the way, and
 * renamed into place only when complete and verified: a checksum mismatch (`ChecksumError`), a
 * non-200 answer or a broken connection (`DownloadError`) leave no file behind.
 */
export async function downloadCached(url: string, options: DownloadOptions = {}): Promise<string> {
  const fn = 'downloadCached';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError({ fn, argument: 'url', expected: 'an absolute http(s) URL', received: url });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidArgumentError({ fn, argument: 'url', expected: 'an absolute http(s) URL', received: url });
  }
  const check = expectedHash(fn, options);
  const fileName = options.fileName ?? decodeURIComponent(parsed.pathname.split('/').pop() ?? '');
  if (fileName === '' || /[/\\]/.test(fileName) || fileName === '.' || fileName === '..') {
    throw new InvalidArgumentError({ fn, argument: 'options.fileName', expected: 'a plain file name (the URL has none)', received: fileName });
  }
  const dir = options.cacheDir ?? (await defaultCacheDir());
  await fs.mkdir(dir, { recursive: true });
  const dest = join(dir, fileName);

  // Cache hit: the file is there and (when a checksum is given) matches.
  try {
    const existing = await fs.readFile(dest);
    if (!check || createHash(check.algorithm).update(existing).digest('hex') === check.hex) return dest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }

  const tmp = join(dir, `.${fileName}.${process.pid}.${randomBytes(6).toString('hex')}.part`);
  const handle = await fs.open(tmp, 'w');
  let closed = false;
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: options.signal ?? null, redirect: 'follow' });
    } catch (error) {
      throw new DownloadError(fn, url, `a failed request (${(error as Error).message})`, error);
    }
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      throw new DownloadError(fn, url, `HTTP ${response.status}`);
    }
    const hash = check ? createHash(check.algorithm) : undefined;
    // With a content encoding (gzip), Content-Length counts the encoded bytes, not the ones we get.
    const encoding = response.headers.get('content-encoding');
    const declared = encoding && encoding !== 'identity' ? NaN : Number(response.headers.get('content-length') ?? NaN);
    let received = 0;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        hash?.update(chunk);
        received += chunk.byteLength;
        await handle.write(chunk);
      }
    } catch (error) {
      throw new DownloadError(fn, url, `a connection that broke off after ${received} bytes (${(error as Error).message})`, error);
    }
    if (Number.isFinite(declared) && received !== declared) {
      throw new DownloadError(fn, url, `${received} of the ${declared} bytes announced`);
    }
    await handle.sync();
    await handle.close();
    closed = true;
    if (check && hash) {
      const actual = hash.digest('hex');
      if (actual !== check.hex) throw new ChecksumError(fn, url, check.algorithm, check.hex, actual);
    }
    await fs.rename(tmp, dest);
    return dest;
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw error;
  }
}

/** Downloads (once, cached, verified) and returns the text, which must be UTF-8. */
export async function loadUrl(url: string, options: DownloadOptions = {}): Promise<string> {
  const path = await downloadCached(url, options);
  return decodeUtf8(await fs.readFile(path), 'loadUrl', 'url', url);
}

/** Hashes bytes (Node). */
export async function hashBytes(bytes: Uint8Array, algorithm: 'sha1' | 'sha256'): Promise<string> {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError({ fn: 'hashBytes', argument: 'bytes', expected: 'a Uint8Array', received: bytes });
  checkOneOf('hashBytes', 'algorithm', algorithm, ['sha1', 'sha256'] as const);
  return createHash(algorithm).update(bytes).digest('hex');
}

function expectedHash(fn: string, options: DownloadOptions): { algorithm: 'sha1' | 'sha256'; hex: string } | undefined {
  if (options.sha256 !== undefined && options.sha1 !== undefined) {
    throw new InvalidArgumentError({ fn, argument: 'options', expected: 'sha256 or sha1, not both', received: 'both' });
  }
  for (const [algorithm, length] of [['sha256', 64], ['sha1', 40]] as const) {
    const hex = options[algorithm];
    if (hex === undefined) continue;
    if (typeof hex !== 'string' || hex.length !== length || !HEX.test(hex)) {
      throw new InvalidArgumentError({ fn, argument: `options.${algorithm}`, expected: `${length} hex digits`, received: hex });
    }
    return { algorithm, hex: hex.toLowerCase() };
  }
  return undefined;
}
