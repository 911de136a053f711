import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, tf, SafetensorsError } from '../index';
import { decodeSafetensors, encodeSafetensors, parseSafetensors } from './safetensors';
import { findDuplicateKey } from './json-duplicates';

/** Builds a file from a header given as raw JSON text and a data section. */
function rawFile(
  headerJson: string,
  data: Uint8Array = new Uint8Array(0),
  declaredLength?: number,
): Uint8Array {
  const json = new TextEncoder().encode(headerJson);
  const out = new Uint8Array(8 + json.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, declaredLength ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

beforeAll(async () => {
  await init();
});

describe('encodeSafetensors / decodeSafetensors', () => {
  it('round-trips float32 and int32 tensors, names sorted, header padded to 8 with spaces', () => {
    const a = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tf.tensor1d([7, -8, 2147483647], 'int32');
    const s = tf.scalar(3.5);
    const bytes = encodeSafetensors({ 'z.w': a, 'a.b': b, scalar: s }, { format: 'pt', note: 'x' });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt","note":"x"},"a.b":{"dtype":"I32","shape":[3],"data_offsets":[0,12]},' +
        '"scalar":{"dtype":"F32","shape":[],"data_offsets":[12,16]},"z.w":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]}}',
    );
    expect(header.length - header.trimEnd().length).toBeLessThan(8);
    expect(bytes.length).toBe(8 + n + 40);

    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual({ format: 'pt', note: 'x' });
    expect(Array.from(parsed.tensors['a.b']!.data as Int32Array)).toEqual([7, -8, 2147483647]);

    const back = decodeSafetensors(bytes);
    expect(Object.keys(back).sort()).toEqual(['a.b', 'scalar', 'z.w']);
    expect(back['z.w']!.shape).toEqual([2, 3]);
    expect(back['z.w']!.dtype).toBe('float32');
    expect(Array.from(back['z.w']!.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back['a.b']!.dtype).toBe('int32');
    expect(Array.from(back['a.b']!.dataSync())).toEqual([7, -8, 2147483647]);
    expect(back.scalar!.shape).toEqual([]);
    expect(back.scalar!.dataSync()[0]).toBe(3.5);
    tf.dispose([a, b, s, ...Object.values(back)]);
  });

  it('re-encoding a decoded file gives the same bytes; empty tensors and an empty file work', () => {
    const t = { w: tf.randomNormal([4, 5]), e: tf.zeros([0, 3]), i: tf.tensor1d([1, 2], 'int32') };
    const bytes = encodeSafetensors(t);
    const back = decodeSafetensors(bytes);
    expect(back.e!.shape).toEqual([0, 3]);
    expect(encodeSafetensors(back)).toEqual(bytes);
    const empty = encodeSafetensors({}, {});
    expect(parseSafetensors(empty)).toEqual({ tensors: {}, metadata: {} });
    tf.dispose([...Object.values(t), ...Object.values(back)]);
  });

  it('reads I64 as int32 with a range check, and F16/BF16/F64 as float32', () => {
    const i64 = new BigInt64Array([1n, -5n, 2147483647n]);
    const ok = encodeSafetensors({ x: { dtype: 'I64', shape: [3], data: i64 } });
    const t = decodeSafetensors(ok);
    expect(t.x!.dtype).toBe('int32');
    expect(Array.from(t.x!.dataSync())).toEqual([1, -5, 2147483647]);
    t.x!.dispose();
    const big = encodeSafetensors({
      x: { dtype: 'I64', shape: [2], data: new BigInt64Array([0n, 2n ** 40n]) },
    });
    expect(() => decodeSafetensors(big)).toThrow(
      /tensor 'x': I64 value 1099511627776 at index 1 does not fit in int32/,
    );
    // parse keeps the raw 64-bit values
    expect(parseSafetensors(big).tensors.x!.data).toEqual(new BigInt64Array([0n, 2n ** 40n]));

    // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800; BF16: 1.0 = 0x3f80, -3 = 0xc040
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800]).buffer);
    const bf = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer);
    const f64 = new Uint8Array(new Float64Array([0.25]).buffer);
    const h = JSON.stringify({
      h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [6, 10] },
      d: { dtype: 'F64', shape: [1], data_offsets: [10, 18] },
    });
    const data = new Uint8Array(18);
    data.set(half, 0);
    data.set(bf, 6);
    data.set(f64, 10);
    const d = decodeSafetensors(rawFile(h, data));
    expect(Array.from(d.h!.dataSync())).toEqual([1, -2, 0.5]);
    expect(Array.from(d.b!.dataSync())).toEqual([1, -3]);
    expect(Array.from(d.d!.dataSync())).toEqual([0.25]);
    tf.dispose(Object.values(d));
  });

  it('round-trips any set of named float32/int32/int64 arrays (property)', () => {
    const entry = fc
      .tuple(
        fc.constantFrom('F32' as const, 'I32' as const, 'I64' as const),
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
      )
      .chain(([dtype, shape]) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values =
          dtype === 'F32'
            ? fc.array(fc.float({ noNaN: true }), { minLength: n, maxLength: n })
            : fc.array(fc.integer(), { minLength: n, maxLength: n });
        return values.map((v) => ({
          dtype,
          shape,
          data:
            dtype === 'F32'
              ? Float32Array.from(v)
              : dtype === 'I32'
                ? Int32Array.from(v)
                : BigInt64Array.from(v, (x) => BigInt(x)),
        }));
      });
    const names = fc.string({ minLength: 1, maxLength: 6 }).filter((n) => n !== '__metadata__');
    fc.assert(
      fc.property(
        fc.dictionary(names, entry, { maxKeys: 5 }),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
        (tensors, metadata) => {
          const bytes = encodeSafetensors(tensors, metadata);
          expect(new DataView(bytes.buffer).getUint32(0, true) % 8).toBe(0);
          const parsed = parseSafetensors(bytes);
          expect(parsed.metadata).toEqual(metadata);
          expect(Object.keys(parsed.tensors).sort()).toEqual(Object.keys(tensors).sort());
          for (const [name, t] of Object.entries(tensors)) {
            const got = parsed.tensors[name]!;
            expect(got.dtype).toBe(t.dtype);
            expect(got.shape).toEqual(t.shape);
            expect(got.data).toEqual(t.data);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps a tensor named __proto__ as an ordinary entry', () => {
    const file = rawFile(
      JSON.stringify({ ['__proto__']: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }),
      f32(5),
    );
    const parsed = parseSafetensors(file);
    expect(Object.keys(parsed.tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed.tensors)).toBe(Object.prototype);
    const decoded = decodeSafetensors(file);
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    tf.dispose(Object.values(decoded));
  });

  it('relies on offsets, not on key order, and reads from a Uint8Array view at any byte offset', () => {
    const header = JSON.stringify({
      b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    });
    const file = rawFile(header, f32(1, 2));
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    const parsed = parseSafetensors(shifted.subarray(3));
    expect(Array.from(parsed.tensors.a!.data as Float32Array)).toEqual([1]);
    expect(Array.from(parsed.tensors.b!.data as Float32Array)).toEqual([2]);
  });
});

describe('malformed safetensors files are refused with SafetensorsError', () => {
  const good = (): string =>
    JSON.stringify({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['shorter than 8 bytes', () => new Uint8Array(5), /too short/],
    [
      'header length larger than the file',
      () => rawFile(good(), f32(1, 2), 10_000),
      /header length 10000 is larger than the \d+ bytes after it/,
    ],
    [
      'absurd header length (2^40)',
      () => {
        const f = rawFile(good(), f32(1, 2));
        new DataView(f.buffer).setUint32(4, 256, true);
        return f;
      },
      /is absurd/,
    ],
    ['header is not JSON', () => rawFile('{"a": {"dtype": "F32",', f32(1, 2)), /not valid JSON/],
    ['header is a JSON array', () => rawFile('[1,2,3]  '), /must be a JSON object/],
    [
      'header is not UTF-8',
      () => rawFile('{"ab":1}').map((b, i) => (i === 10 ? 0xff : b)),
      /not valid UTF-8/,
    ],
    [
      'offsets outside the buffer',
      () =>
        rawFile(JSON.stringify({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }), f32(1)),
      /outside the 4-byte data section/,
    ],
    [
      'overlapping offsets',
      () =>
        rawFile(
          JSON.stringify({
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          }),
          f32(1, 2, 3),
        ),
      /tensor 'b': data_offsets \[4, 12\] overlap/,
    ],
    [
      'a gap between tensors',
      () =>
        rawFile(
          JSON.stringify({
            a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
            b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
          }),
          f32(1, 2, 3),
        ),
      /tensor 'b': .* leave a gap after byte 4/,
    ],
    [
      'begin after end',
      () =>
        rawFile(
          JSON.stringify({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }),
          f32(1, 2),
        ),
      /0 <= begin <= end/,
    ],
    [
      'trailing bytes not covered by any tensor',
      () => rawFile(good(), f32(1, 2, 3)),
      /cover 8 bytes but the data section holds 12/,
    ],
    [
      'wrong byte size for dtype x shape',
      () =>
        rawFile(
          JSON.stringify({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }),
          f32(1, 2),
        ),
      /F32 \[3\] needs 12 bytes, but data_offsets \[0, 8\] span 8/,
    ],
    [
      'duplicate tensor names',
      () =>
        rawFile(
          '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
          f32(1, 2),
        ),
      /key "a" more than once/,
    ],
    [
      'unknown dtype',
      () =>
        rawFile(
          JSON.stringify({ a: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }),
          f32(1, 2),
        ),
      /unknown dtype "F8_E4M3"/,
    ],
    [
      'non-integer shape',
      () =>
        rawFile(
          JSON.stringify({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }),
          f32(1, 2),
        ),
      /'shape' must be an array of non-negative integers/,
    ],
    [
      'negative shape',
      () =>
        rawFile(
          JSON.stringify({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }),
          f32(1, 2),
        ),
      /non-negative integers/,
    ],
    [
      'metadata value not a string',
      () => rawFile(JSON.stringify({ __metadata__: { format: 1 } })),
      /'__metadata__.format' must be a string/,
    ],
    [
      'entry not an object',
      () => rawFile(JSON.stringify({ a: 5 })),
      /tensor 'a': entry must be an object/,
    ],
    [
      'shape with an overflowing element count',
      () =>
        rawFile(
          JSON.stringify({
            a: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 8] },
          }),
          f32(1, 2),
        ),
      /too many elements/,
    ],
  ];
  for (const [label, make, pattern] of cases) {
    it(label, () => {
      const bytes = make();
      let error: unknown;
      try {
        decodeSafetensors(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SafetensorsError);
      expect((error as Error).message).toMatch(pattern);
      expect((error as Error).message.startsWith('safetensors: ')).toBe(true);
    });
  }

  it('allocates no tensor when it refuses a file', () => {
    const before = tf.memory().numTensors;
    const bad = rawFile(
      JSON.stringify({
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        b: { dtype: 'I64', shape: [1], data_offsets: [4, 12] },
      }),
      new Uint8Array([0, 0, 128, 63, 0, 0, 0, 0, 0, 1, 0, 0]),
    );
    expect(() => decodeSafetensors(bad)).toThrow(SafetensorsError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses tensors it cannot store when encoding', () => {
    const c = tf.tensor(['a', 'b']);
    expect(() => encodeSafetensors({ c })).toThrow(/tensor 'c' has dtype string/);
    expect(() => encodeSafetensors({ __metadata__: tf.scalar(1) })).toThrow(SafetensorsError);
    c.dispose();
  });
});

describe('findDuplicateKey', () => {
  it('finds duplicates at any depth and ignores keys in strings and arrays', () => {
    expect(findDuplicateKey('{"a":1,"b":{"c":1,"c":2}}')).toBe('c');
    expect(findDuplicateKey('{"a":"\\"a\\"","b":["a","a"],"c":[{"a":1},{"a":2}]}')).toBeUndefined();
    expect(findDuplicateKey('{"x\\u0041":1,"xA":2}')).toBe('xA');
  });
});
