import { tf, type Tensor } from '../runtime/tf';
import { InvalidArgumentError, SafetensorsError, describe } from '../errors';
import { findDuplicateKey } from './json-duplicates';

/** Element types of the safetensors format that this reader knows. */
export type SafetensorsDType =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/** Raw element data as stored: F16/BF16 stay as their 16-bit patterns, BOOL as bytes. */
export type SafetensorsData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/** One tensor of a safetensors file, without any tfjs tensor behind it. */
export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  data: SafetensorsData;
}

export interface ParsedSafetensors {
  tensors: Record<string, SafetensorsEntry>;
  /** The `__metadata__` object (string to string), or `{}` when the file has none. */
  metadata: Record<string, string>;
}

/** Bytes per element of each dtype. */
const DTYPE_SIZE: Record<SafetensorsDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** The header may not be larger than this (as the reference implementation, 100 MB). */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

const METADATA_KEY = '__metadata__';

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads and checks the header: every offset, size and name is validated here, before any
 * tensor data is copied. Returns the entries and where the data section starts.
 */
function readHeader(bytes: Uint8Array): {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  dataStart: number;
} {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError({ fn: 'parseSafetensors', argument: 'bytes', expected: 'a Uint8Array', received: bytes });
  }
  if (bytes.byteLength < 8) {
    throw new SafetensorsError(
      `file is ${bytes.byteLength} bytes, too short for the 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLength = hi * 2 ** 32 + lo;
  if (hi !== 0 || headerLength > MAX_SAFETENSORS_HEADER) {
    throw new SafetensorsError(
      `header length ${hi === 0 ? headerLength : `${hi} * 2^32 + ${lo}`} is absurd (limit ${MAX_SAFETENSORS_HEADER} bytes)`,
    );
  }
  if (headerLength > bytes.byteLength - 8) {
    throw new SafetensorsError(
      `header length ${headerLength} is larger than the ${bytes.byteLength - 8} bytes after it`,
    );
  }
  if (headerLength < 2) {
    throw new SafetensorsError(`header length ${headerLength} is too small for a JSON object`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch (cause) {
    throw new SafetensorsError('header is not valid UTF-8', { cause });
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (cause) {
    throw new SafetensorsError(`header is not valid JSON (${(cause as Error).message})`, { cause });
  }
  if (!isPlainObject(header)) {
    throw new SafetensorsError(`header must be a JSON object, got ${describe(header)}`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    throw new SafetensorsError(`header has the key ${JSON.stringify(duplicate)} more than once`);
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(info))
        throw new SafetensorsError(
          `'__metadata__' must be an object of strings, got ${describe(info)}`,
        );
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string')
          throw new SafetensorsError(`'__metadata__.${k}' must be a string, got ${describe(v)}`);
      }
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    if (name.length === 0) throw new SafetensorsError('a tensor has an empty name');
    if (!isPlainObject(info))
      throw new SafetensorsError(
        `tensor '${name}': entry must be an object, got ${describe(info)}`,
      );
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZE, dtype)) {
      throw new SafetensorsError(
        `tensor '${name}': unknown dtype ${describe(dtype)} (known: ${Object.keys(DTYPE_SIZE).join(', ')})`,
      );
    }
    if (
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
    ) {
      throw new SafetensorsError(
        `tensor '${name}': 'shape' must be an array of non-negative integers, got ${describe(shape)}`,
      );
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
      (offsets[0] as number) > (offsets[1] as number)
    ) {
      throw new SafetensorsError(
        `tensor '${name}': 'data_offsets' must be [begin, end] with 0 <= begin <= end, got ${describe(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      throw new SafetensorsError(
        `tensor '${name}': data_offsets [${begin}, ${end}] lie outside the ${dataLength}-byte data section`,
      );
    }
    let elements = 1;
    for (const d of shape as number[]) {
      elements *= d;
      if (!Number.isSafeInteger(elements))
        throw new SafetensorsError(
          `tensor '${name}': shape ${describe(shape)} has too many elements`,
        );
    }
    const size = elements * DTYPE_SIZE[dtype as SafetensorsDType];
    if (end - begin !== size) {
      throw new SafetensorsError(
        `tensor '${name}': ${dtype} ${describe(shape)} needs ${size} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    entries.push({
      name,
      dtype: dtype as SafetensorsDType,
      shape: [...(shape as number[])],
      begin,
      end,
    });
  }

  // The data section must be covered exactly: no gaps, no overlaps, nothing left over.
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of ordered) {
    if (e.begin < cursor) {
      throw new SafetensorsError(
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap the previous tensor, which ends at ${cursor}`,
      );
    }
    if (e.begin > cursor) {
      throw new SafetensorsError(
        `tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] leave a gap after byte ${cursor}`,
      );
    }
    cursor = e.end;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(
      `the tensors cover ${cursor} bytes but the data section holds ${dataLength}`,
    );
  }
  return { entries, metadata, dataStart };
}

/** Sets an own property even for names like `__proto__` (a file may name a tensor anything). */
function define<T>(record: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(record, name, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function copyData(
  bytes: Uint8Array,
  start: number,
  end: number,
  dtype: SafetensorsDType,
): SafetensorsData {
  if (!littleEndian) throw new SafetensorsError('big-endian hosts are not supported');
  const buffer = bytes.slice(start, end).buffer; // a fresh, aligned copy
  switch (dtype) {
    case 'F64':
      return new Float64Array(buffer);
    case 'F32':
      return new Float32Array(buffer);
    case 'F16':
    case 'BF16':
    case 'U16':
      return new Uint16Array(buffer);
    case 'I64':
      return new BigInt64Array(buffer);
    case 'U64':
      return new BigUint64Array(buffer);
    case 'I32':
      return new Int32Array(buffer);
    case 'U32':
      return new Uint32Array(buffer);
    case 'I16':
      return new Int16Array(buffer);
    case 'I8':
      return new Int8Array(buffer);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buffer);
  }
}

/**
 * Parses a safetensors file into typed arrays (no tfjs involved). The whole header is checked
 * first; a malformed or hostile file throws `SafetensorsError` before any data is copied.
 */
export function parseSafetensors(bytes: Uint8Array): ParsedSafetensors {
  const { entries, metadata, dataStart } = readHeader(bytes);
  const tensors: Record<string, SafetensorsEntry> = {};
  for (const e of entries) {
    define(tensors, e.name, {
      dtype: e.dtype,
      shape: e.shape,
      data: copyData(bytes, dataStart + e.begin, dataStart + e.end, e.dtype),
    });
  }
  return { tensors, metadata };
}

/** IEEE half precision bits to a number. */
function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Converts one entry to the data tfjs can hold: float32, int32 or bool. */
function toTfData(
  name: string,
  entry: SafetensorsEntry,
): { values: Float32Array | Int32Array | Uint8Array; dtype: 'float32' | 'int32' | 'bool' } {
  const { dtype, data } = entry;
  switch (dtype) {
    case 'F32':
      return { values: data as Float32Array, dtype: 'float32' };
    case 'F64':
      return { values: Float32Array.from(data as Float64Array), dtype: 'float32' };
    case 'F16':
      return { values: Float32Array.from(data as Uint16Array, f16ToNumber), dtype: 'float32' };
    case 'BF16': {
      const bits = new Uint32Array(data.length);
      const src = data as Uint16Array;
      for (let i = 0; i < src.length; i++) bits[i] = (src[i] as number) << 16;
      return { values: new Float32Array(bits.buffer), dtype: 'float32' };
    }
    case 'I32':
      return { values: data as Int32Array, dtype: 'int32' };
    case 'I16':
    case 'I8':
    case 'U16':
    case 'U8':
      return { values: Int32Array.from(data as ArrayLike<number>), dtype: 'int32' };
    case 'BOOL':
      return { values: data as Uint8Array, dtype: 'bool' };
    case 'U32':
    case 'I64':
    case 'U64': {
      const out = new Int32Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const v = Number(data[i]);
        if (v < -2147483648 || v > 2147483647) {
          throw new SafetensorsError(
            `tensor '${name}': ${dtype} value ${String(data[i])} at index ${i} does not fit in int32`,
          );
        }
        out[i] = v;
      }
      return { values: out, dtype: 'int32' };
    }
  }
}

/**
 * Reads a safetensors file into tfjs tensors: floats become float32 (F64, F16 and BF16 are
 * converted), integers int32 (I64/U64/U32 checked to fit), BOOL bool. The caller owns the tensors.
 */
export function decodeSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  const { tensors } = parseSafetensors(bytes);
  const converted = Object.entries(tensors).map(
    ([name, entry]) => [name, entry.shape, toTfData(name, entry)] as const,
  );
  const out: Record<string, Tensor> = {};
  for (const [name, shape, { values, dtype }] of converted)
    define(out, name, tf.tensor(values, shape, dtype));
  return out;
}

/** An entry `encodeSafetensors` can write without a tensor. */
export interface SafetensorsArray {
  dtype: 'F32' | 'I32' | 'I64' | 'U8' | 'BOOL' | 'F64';
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Float64Array;
}

function isTensor(v: unknown): v is Tensor {
  return v instanceof tf.Tensor;
}

function entryOf(name: string, value: Tensor | SafetensorsArray): SafetensorsArray {
  if (isTensor(value)) {
    if (value.isDisposed) throw new SafetensorsError(`encode: tensor '${name}' is disposed`);
    const shape = [...value.shape];
    if (value.dtype === 'float32')
      return { dtype: 'F32', shape, data: value.dataSync() as Float32Array };
    if (value.dtype === 'int32')
      return { dtype: 'I32', shape, data: value.dataSync() as Int32Array };
    if (value.dtype === 'bool')
      return { dtype: 'BOOL', shape, data: value.dataSync() as Uint8Array };
    throw new SafetensorsError(
      `encode: tensor '${name}' has dtype ${value.dtype}, which safetensors does not store`,
    );
  }
  const size = value.shape.reduce((a, b) => a * b, 1);
  if (!Object.hasOwn(DTYPE_SIZE, value.dtype) || value.data.length !== size) {
    throw new SafetensorsError(
      `encode: entry '${name}' holds ${value.data.length} ${value.dtype} values for shape ${describe(value.shape)}`,
    );
  }
  return value;
}

/**
 * Writes tensors in PyTorch's safetensors layout: 8-byte little-endian header length, compact
 * JSON header (`__metadata__` first, then the tensors sorted by name) padded with spaces to a
 * multiple of 8, then the data back to back in that order. `metadata` defaults to `{format: 'pt'}`.
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor | SafetensorsArray>,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string')
      throw new SafetensorsError(`encode: metadata '${k}' must be a string, got ${describe(v)}`);
  }
  const names = Object.keys(tensors).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  const entries: SafetensorsArray[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY || name.length === 0)
      throw new SafetensorsError(`encode: ${JSON.stringify(name)} is not a valid tensor name`);
    const e = entryOf(name, tensors[name] as Tensor | SafetensorsArray);
    const size = e.data.byteLength;
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + size] };
    entries.push(e);
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded % 2 ** 32, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  out.set(json, 8);
  let at = 8 + padded;
  for (const e of entries) {
    if (!littleEndian) throw new SafetensorsError('big-endian hosts are not supported');
    out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), at);
    at += e.data.byteLength;
  }
  return out;
}
