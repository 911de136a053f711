const MARKER = Symbol.for('@recurrent/error');

/** Stable, machine-readable error codes. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'SHAPE'
  | 'DTYPE'
  | 'VOCAB'
  | 'EMPTY_CORPUS'
  | 'NON_FINITE_LOSS'
  | 'SAFETENSORS'
  | 'CHECKPOINT'
  | 'BACKEND'
  | 'WORKER'
  | 'ABORTED'
  | 'THREAD';

export interface RecurrentErrorOptions {
  cause?: unknown;
}

/**
 * Base class of every error Recurrent throws on purpose.
 * `isInstance` works across two installed copies of the package (a `Symbol.for` marker).
 */
export class RecurrentError extends Error {
  readonly code: ErrorCode;
  private readonly [MARKER] = true;

  constructor(code: ErrorCode, message: string, options: RecurrentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RecurrentError';
    this.code = code;
  }

  static isInstance(error: unknown): error is RecurrentError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true
    );
  }
}

/** Formats a value for an error message: shapes as [a, b], strings quoted, long arrays cut. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) {
    const shown = value.slice(0, 8).map((v) => describe(v));
    return `[${shown.join(', ')}${value.length > 8 ? `, … (${value.length} items)` : ''}]`;
  }
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name}(${(value as unknown as ArrayLike<number>).length})`;
  if (typeof value === 'object' && 'shape' in value && 'dtype' in value) {
    const t = value as { shape: number[]; dtype: string };
    return `${t.dtype} tensor of shape ${describe(t.shape)}`;
  }
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  try {
    const s = JSON.stringify(value);
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
