import { InvalidArgumentError } from '@recurrent/core';

/** A file (or download) whose bytes are not valid UTF-8; `byteOffset` is the first bad byte. */
export class NotUtf8Error extends InvalidArgumentError {
  readonly byteOffset: number;

  constructor(fn: string, argument: string, source: string, byteOffset: number) {
    super({ fn, argument, expected: 'UTF-8 text', received: `${source}: invalid UTF-8 at byte ${byteOffset}` });
    this.name = 'NotUtf8Error';
    this.byteOffset = byteOffset;
  }
}

/** A download (or local copy) whose checksum is not the expected one. Nothing is left on disk. */
export class ChecksumError extends InvalidArgumentError {
  readonly algorithm: 'sha1' | 'sha256';
  readonly actual: string;

  constructor(fn: string, source: string, algorithm: 'sha1' | 'sha256', expectedHex: string, actual: string) {
    super({ fn, argument: algorithm, expected: `the ${algorithm} of ${source} (${expectedHex})`, received: actual });
    this.name = 'ChecksumError';
    this.algorithm = algorithm;
    this.actual = actual;
  }
}

/** A download that failed: an HTTP status other than 200, or a connection that broke off. */
export class DownloadError extends InvalidArgumentError {
  constructor(fn: string, url: string, reason: string, cause?: unknown) {
    super({ fn, argument: 'url', expected: `a URL that serves the whole file (${url})`, received: reason, cause });
    this.name = 'DownloadError';
  }
}
