import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@recurrent/core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumError, DownloadError, NotUtf8Error } from '../errors/dataset-errors';
import { defaultCacheDir } from './cache-dir';
import { downloadCached, loadUrl } from './download';
import { readTextFile } from './text-file';
import { firstInvalidUtf8 } from './utf8';

const BODY = 'The Time Machine, by H. G. Wells\n北京冬奥 😀\n'.repeat(50);
const SHA256 = createHash('sha256').update(BODY).digest('hex');
const SHA1 = createHash('sha1').update(BODY).digest('hex');
const LATIN1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café\n" in Latin-1

let server: Server;
let base: string;
const hits: Record<string, number> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits[path] = (hits[path] ?? 0) + 1;
    if (path.startsWith('/data/')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(BODY) });
      res.end(BODY);
    } else if (path === '/latin1.txt') {
      res.writeHead(200, { 'content-length': LATIN1.length });
      res.end(LATIN1);
    } else if (path === '/cut.txt') {
      // Announces the whole file, sends a third of it, then drops the connection.
      res.writeHead(200, { 'content-length': Buffer.byteLength(BODY) });
      res.write(BODY.slice(0, 300), () => setTimeout(() => res.socket?.destroy(), 20));
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recurrent-datasets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('downloadCached / loadUrl (loopback HTTP server)', () => {
  it('downloads once, verifies the sha256, then serves from the cache without a request', async () => {
    const url = `${base}/data/a.txt`;
    const path = await downloadCached(url, { sha256: SHA256, cacheDir: dir });
    expect(path).toBe(join(dir, 'a.txt'));
    expect(await readFile(path, 'utf8')).toBe(BODY);
    expect(hits['/data/a.txt']).toBe(1);
    expect(await loadUrl(url, { sha256: SHA256.toUpperCase(), cacheDir: dir })).toBe(BODY);
    expect(hits['/data/a.txt']).toBe(1);
    expect(await readdir(dir)).toEqual(['a.txt']);
  });

  it('verifies a sha1 and downloads again when the cached copy is corrupt', async () => {
    const url = `${base}/data/b.txt`;
    await writeFile(join(dir, 'b.txt'), 'corrupted');
    expect(await loadUrl(url, { sha1: SHA1, cacheDir: dir })).toBe(BODY);
    expect(hits['/data/b.txt']).toBe(1);
  });

  it('honours RECURRENT_CACHE_DIR and a given file name', async () => {
    const saved = process.env.RECURRENT_CACHE_DIR;
    process.env.RECURRENT_CACHE_DIR = dir;
    try {
      expect(await defaultCacheDir()).toBe(dir);
      const path = await downloadCached(`${base}/data/c.txt?x=1`, { sha256: SHA256, fileName: 'corpus.txt' });
      expect(path).toBe(join(dir, 'corpus.txt'));
    } finally {
      if (saved === undefined) delete process.env.RECURRENT_CACHE_DIR;
      else process.env.RECURRENT_CACHE_DIR = saved;
    }
  });

  it('a checksum mismatch is a ChecksumError and leaves no file', async () => {
    const wrong = '0'.repeat(64);
    const error = await downloadCached(`${base}/data/d.txt`, { sha256: wrong, cacheDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumError);
    expect((error as ChecksumError).actual).toBe(SHA256);
    expect(String((error as Error).message)).toMatch(/'sha256' must be the sha256 of .*d\.txt/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('an interrupted download is a DownloadError and leaves no file', async () => {
    await expect(downloadCached(`${base}/cut.txt`, { sha256: SHA256, cacheDir: dir })).rejects.toThrow(DownloadError);
    expect(await readdir(dir)).toEqual([]);
    // Without a checksum too: the length check catches it.
    await expect(downloadCached(`${base}/cut.txt`, { cacheDir: dir })).rejects.toThrow(DownloadError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('an HTTP error is a DownloadError and leaves no file', async () => {
    await expect(downloadCached(`${base}/missing.txt`, { sha256: SHA256, cacheDir: dir })).rejects.toThrow(/HTTP 404/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a download that is not UTF-8 is a NotUtf8Error from loadUrl', async () => {
    await expect(loadUrl(`${base}/latin1.txt`, { cacheDir: dir })).rejects.toThrow(NotUtf8Error);
  });

  it('refuses bad URLs and checksums before any request', async () => {
    await expect(downloadCached('not a url', { cacheDir: dir })).rejects.toThrow(InvalidArgumentError);
    await expect(downloadCached('ftp://127.0.0.1/x.txt', { cacheDir: dir })).rejects.toThrow(InvalidArgumentError);
    await expect(downloadCached(`${base}/`, { cacheDir: dir })).rejects.toThrow(/fileName/);
    await expect(downloadCached(`${base}/data/e.txt`, { sha1: 'abc', cacheDir: dir })).rejects.toThrow("'options.sha1' must be 40 hex digits");
    await expect(downloadCached(`${base}/data/e.txt`, { sha1: SHA1, sha256: SHA256, cacheDir: dir })).rejects.toThrow(InvalidArgumentError);
    expect(hits['/data/e.txt']).toBeUndefined();
  });
});

describe('readTextFile', () => {
  it('reads UTF-8 (dropping a BOM) and refuses other encodings with the offset of the first bad byte', async () => {
    await writeFile(join(dir, 'ok.txt'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('北京 😀\n')]));
    expect(await readTextFile(join(dir, 'ok.txt'))).toBe('北京 😀\n');
    await writeFile(join(dir, 'latin1.txt'), LATIN1);
    const error = await readTextFile(join(dir, 'latin1.txt')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotUtf8Error);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as NotUtf8Error).byteOffset).toBe(3);
    expect((error as Error).message).toMatch(/readTextFile: 'path' must be UTF-8 text, got ".*latin1.txt: invalid UTF-8 at byte 3"/);
    await expect(readTextFile(join(dir, 'absent.txt'))).rejects.toThrow(/absent\.txt: not found/);
    await expect(readTextFile('')).rejects.toThrow(InvalidArgumentError);
  });

  it('firstInvalidUtf8 agrees with the strict TextDecoder on random bytes (property)', () => {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const bytes = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5)), { maxLength: 12 });
    fc.assert(
      fc.property(bytes, (arr) => {
        const u8 = Uint8Array.from(arr);
        const at = firstInvalidUtf8(u8);
        let valid = true;
        try {
          strict.decode(u8);
        } catch {
          valid = false;
        }
        expect(at === u8.length).toBe(valid);
        if (!valid) expect(() => strict.decode(u8.subarray(0, at))).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
