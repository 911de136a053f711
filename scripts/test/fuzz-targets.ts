// What the fuzzer throws at Recurrent: the readers of everything a checkpoint or a user's file
// holds (safetensors, config.json, vocabulary JSON, the optimizer's and the trainer's state
// files), the tokenizers, and the options of the batch samplers and of sampling in generation.
// Each target says how to make inputs (fast-check arbitraries, most of them mutations of valid
// files, so the fuzzer gets past the first check) and runs one; fuzz.test.ts checks the outcome:
// a result or one of our typed errors, in bounded time and memory, nothing left allocated.
import fc from 'fast-check';
import { Random, decodeSafetensors, encodeSafetensors, parseSafetensors, tf, type SafetensorsArray } from '@recurrent/core';
import { paddedBatches, randomBatches, sequentialBatches, type BatchSampler } from '@recurrent/datasets';
import { applyLogitsProcessors, resolveOptions, softmax64 } from '@recurrent/generate';
import { LanguageModel, disposeState, modelFromCheckpointFiles, parseCheckpointConfig } from '@recurrent/layers';
import { Vocab, createTokenizer, tokenizeText } from '@recurrent/tokenizers';
import { Adam, LRScheduler, RMSprop, SGD, Trainer, checkpointFromFiles, trainingCheckpointFiles, type Optimizer } from '@recurrent/train';

export interface FuzzTarget<T = unknown> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** Runs one input. Throws only our typed errors (or, for `neverThrows` targets, nothing). */
  run(input: T): void | Promise<void>;
  /** The input's size in bytes, for the time and memory bounds. */
  size(input: T): number;
  /** Memory the run may take: `multiple` times the input's size, plus a fixed slack. */
  multiple: number;
  /** A target whose inputs are all valid (text to tokenize): any error is a failure. */
  neverThrows?: boolean;
  /** Inputs always tried first (the fixed-seed run in `pnpm test` included). */
  examples?: T[];
  /** Inputs per target in `pnpm test`. */
  runs: number;
}

const enc = new TextEncoder();

// ---- byte-level mutations ------------------------------------------------------------------------

type Mutation = { kind: 'flip'; at: number; value: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: Uint8Array } | { kind: 'length'; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  // The 8-byte header length, lying: small, huge, 2^40, 2^64 - 1.
  fc.record({ kind: fc.constant('length' as const), value: fc.oneof(fc.nat({ max: 4096 }), fc.constantFrom(2 ** 32 - 1, 2 ** 40, 2 ** 53 - 1, 2 ** 64 - 1)) }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = bytes.slice();
  for (const m of mutations) {
    if (m.kind === 'flip' && out.length > 0) out[m.at % out.length] = m.value;
    else if (m.kind === 'truncate') out = out.slice(0, m.at % (out.length + 1));
    else if (m.kind === 'insert') {
      const at = m.at % (out.length + 1);
      const next = new Uint8Array(out.length + m.bytes.length);
      next.set(out.subarray(0, at));
      next.set(m.bytes, at);
      next.set(out.subarray(at), at + m.bytes.length);
      out = next;
    } else if (m.kind === 'length' && out.length >= 8) {
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      view.setBigUint64(0, BigInt(Math.min(m.value, 2 ** 64 - 1)) & 0xffffffffffffffffn, true);
    }
  }
  return out;
}

// ---- JSON-level mutations -------------------------------------------------------------------------

type JsonEdit = { path: number[]; op: 'replace'; value: unknown } | { path: number[]; op: 'delete' } | { path: number[]; op: 'add'; key: string; value: unknown };

/** Values a hostile or careless file puts where a number, string or object belongs. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 0.5, 1.5, 2 ** 31, 2 ** 40, 2 ** 53, 1e308, -0, '', '0', null, true, [], {}, '__proto__', 'constructor'),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  fc.record({ path: fc.array(fc.nat(), { maxLength: 3 }), op: fc.constant('replace' as const), value: oddValue }),
  fc.record({ path: fc.array(fc.nat(), { maxLength: 3 }), op: fc.constant('delete' as const) }),
  fc.record({ path: fc.array(fc.nat(), { maxLength: 2 }), op: fc.constant('add' as const), key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'extra')), value: oddValue }),
);

/** Applies edits to a copy of `json`: each path picks keys (or indexes) by position, modulo their count. */
function editJson(json: unknown, edits: readonly JsonEdit[]): unknown {
  const root = { v: structuredClone(json) as unknown };
  for (const e of edits) {
    let parent: Record<string, unknown> = root as Record<string, unknown>;
    let key = 'v';
    for (const p of e.path) {
      const node = parent[key];
      if (node === null || typeof node !== 'object') break;
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      parent = node as Record<string, unknown>;
      key = keys[p % keys.length]!;
    }
    if (e.op === 'replace') Object.defineProperty(parent, key, { value: structuredClone(e.value), enumerable: true, writable: true, configurable: true });
    else if (e.op === 'delete') delete parent[key];
    else {
      const node = parent[key];
      if (node !== null && typeof node === 'object' && !Array.isArray(node)) Object.defineProperty(node, e.key, { value: structuredClone(e.value), enumerable: true, writable: true, configurable: true });
    }
  }
  return root.v;
}

/** A JSON text: a valid document edited, any JSON, or not JSON at all. */
function jsonText(valid: unknown): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.array(jsonEdit, { minLength: 1, maxLength: 4 }).map((edits) => JSON.stringify(editJson(valid, edits)) ?? 'null') },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 8 })).map(([at, junk]) => { const t = JSON.stringify(valid); const i = at % (t.length + 1); return t.slice(0, i) + junk + t.slice(i); }) },
  );
}

// ---- valid files to start from ------------------------------------------------------------------------

const TOKENS = ['<unk>', 'a', 'b', 'c', ' ', 'd'];
const META = { tokenizer: { level: 'char' as const, preprocess: 'none' as const }, vocab: { tokens: TOKENS, unk: '<unk>' } };

interface Valid {
  config: string;
  model: Uint8Array;
  optimizer: Uint8Array;
  trainer: unknown;
  carried: Uint8Array;
}

let valid: Valid | null = null;

/** A small checkpoint taken inside an epoch (after `init()`): the files the mutations start from. */
export function validFiles(): Valid {
  if (valid) return valid;
  const model = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: TOKENS.length, hiddenSize: 4, random: new Random(1) });
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const trainer = new Trainer({ model, optimizer, scheduler: new LRScheduler(optimizer, { type: 'warmup', steps: 3 }), random: new Random(2), run: { batch: 2 } });
  const r = trainer.trainStep({ x: Int32Array.of(1, 2, 3, 4, 5, 1), y: Int32Array.of(2, 3, 4, 5, 1, 2), shape: [2, 3] }, null);
  const files = trainingCheckpointFiles({ model, optimizer, trainer: { ...trainer.getState(), position: { epoch: 1, batches: 1, random: new Random(2).getState(), lossSum: 3.1, tokens: 6, steps: 1, seconds: 0.01 } }, carriedState: r.state, ...META });
  disposeState(r.state);
  optimizer.dispose();
  model.dispose();
  valid = {
    config: files['config.json'] as string,
    model: files['model.safetensors'] as Uint8Array,
    optimizer: files['optimizer.safetensors'] as Uint8Array,
    trainer: JSON.parse(files['trainer.json'] as string),
    carried: files['carried-state.safetensors'] as Uint8Array,
  };
  return valid;
}

/** safetensors files built from scratch: random tensors, then a lying or hostile header. */
const safetensorsFile: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.record({
      name: fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'toString', '__metadata__')),
      dtype: fc.constantFrom('F32', 'I32', 'I64', 'U8', 'BOOL', 'F64') as fc.Arbitrary<SafetensorsArray['dtype']>,
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    }),
    { maxLength: 4 },
  )
  .map((specs) => {
    const tensors: Record<string, SafetensorsArray> = {};
    for (const s of specs) {
      if (s.name === '__metadata__') continue;
      const n = s.shape.reduce((a, b) => a * b, 1);
      const data = s.dtype === 'F32' ? new Float32Array(n) : s.dtype === 'I32' ? new Int32Array(n) : s.dtype === 'I64' ? new BigInt64Array(n) : s.dtype === 'F64' ? new Float64Array(n) : new Uint8Array(n);
      Object.defineProperty(tensors, s.name, { value: { dtype: s.dtype, shape: s.shape, data }, enumerable: true, configurable: true, writable: true });
    }
    return encodeSafetensors(tensors);
  });

/** A header written by hand: any dtype, shapes and offsets as big as a liar likes. */
const hostileHeader: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.dictionary(
      fc.string({ maxLength: 5 }),
      fc.record({
        dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U64', 'U32', 'BOOL', 'F8'), fc.string({ maxLength: 4 })),
        shape: fc.array(fc.oneof(fc.nat({ max: 8 }), fc.constantFrom(2 ** 20, 2 ** 31, 2 ** 40, 2 ** 53 - 1, -1, 1.5)), { maxLength: 4 }),
        data_offsets: fc.tuple(fc.oneof(fc.nat({ max: 64 }), fc.constantFrom(2 ** 40, 2 ** 53)), fc.oneof(fc.nat({ max: 64 }), fc.constantFrom(2 ** 40, 2 ** 42, 2 ** 53))),
      }),
      { maxKeys: 3 },
    ),
    fc.nat({ max: 64 }),
  )
  .map(([header, dataBytes]) => {
    const json = enc.encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setUint32(0, json.length, true);
    out.set(json, 8);
    return out;
  });

// ---- the targets ------------------------------------------------------------------------------------

const safetensors: FuzzTarget<Uint8Array> = {
  name: 'safetensors reader',
  arbitrary: fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.oneof(safetensorsFile, fc.constant(null)), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([file, ms]) => mutate(file ?? validFiles().model, ms)) },
    { weight: 2, arbitrary: hostileHeader },
    { weight: 1, arbitrary: safetensorsFile },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  ),
  run(bytes) {
    const parsed = parseSafetensors(bytes);
    let total = 0;
    for (const e of Object.values(parsed.tensors)) total += e.data.byteLength;
    if (total > bytes.length) throw new Error(`parseSafetensors returned ${total} bytes of data from a ${bytes.length}-byte file`);
    tf.dispose(Object.values(decodeSafetensors(bytes)));
  },
  size: (b) => b.length,
  multiple: 8,
  examples: [
    // A header that claims 2^40 bytes of data (and a 2^20 x 2^20 tensor): refused, nothing allocated.
    (() => {
      const json = enc.encode(JSON.stringify({ w: { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] } }));
      const out = new Uint8Array(8 + json.length);
      new DataView(out.buffer).setUint32(0, json.length, true);
      out.set(json, 8);
      return out;
    })(),
    Uint8Array.of(0, 0, 0, 0, 0, 1, 0, 0), // header length 2^40
  ],
  runs: 250,
};

const checkpointConfig: FuzzTarget<string> = {
  name: 'checkpoint config.json',
  arbitrary: fc.constant(null).chain(() => jsonText(JSON.parse(validFiles().config))),
  run(text) {
    parseCheckpointConfig(text);
    // With the weights: a config that parses must match them exactly, or be refused.
    modelFromCheckpointFiles(text, validFiles().model).model.dispose();
  },
  size: (t) => t.length * 2,
  multiple: 64,
  runs: 250,
};

const vocabJson: FuzzTarget<string> = {
  name: 'vocabulary JSON',
  arbitrary: jsonText({ tokens: ['<unk>', 'the', ' ', 'a', '北京', '😀'], unk: '<unk>', tokenFreqs: [['the', 3], [' ', 2], ['a', 1]] }),
  run(text) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return; // not JSON: the caller's parser refuses it before any vocabulary is read
    }
    const vocab = Vocab.fromJSON(json);
    // What it accepts works: ids round-trip, its JSON reads back the same.
    const ids = Array.from({ length: vocab.size }, (_, i) => i);
    const tokens = vocab.decode(ids);
    if (vocab.encode(tokens).some((id, i) => id !== i)) throw new Error('Vocab: encode(decode(ids)) differs from ids');
    if (JSON.stringify(Vocab.fromJSON(vocab.toJSON()).toJSON()) !== JSON.stringify(vocab.toJSON())) throw new Error('Vocab: toJSON does not read back');
  },
  size: (t) => t.length * 2,
  multiple: 64,
  runs: 250,
};

/** An optimizer of the type a state names (SGD by default), over a fresh model's parameters. */
function optimizerFor(model: LanguageModel, type: unknown): Optimizer {
  const params = model.parameters();
  if (type === 'Adam') return new Adam(params, { lr: 0.01 });
  if (type === 'RMSprop') return new RMSprop(params, { lr: 0.01 });
  return new SGD(params, { lr: 0.1, momentum: 0.9 });
}

/** Loads a checkpoint's files and puts every part where a resumed run would: into a model, an optimizer, a trainer. */
async function loadAll(files: Record<string, Uint8Array | string>): Promise<void> {
  const loaded = checkpointFromFiles(files);
  let optimizer: Optimizer | null = null;
  let trainer: Trainer | null = null;
  try {
    optimizer = optimizerFor(loaded.model, loaded.optimizer?.scalars.type);
    if (loaded.optimizer) optimizer.loadStateDict(loaded.optimizer);
    trainer = new Trainer({ model: loaded.model, optimizer, scheduler: new LRScheduler(optimizer, { type: 'constant' }), random: new Random(0) });
    if (loaded.trainer) {
      trainer.setState(loaded.trainer, loaded.carriedState);
      // One epoch of three batches from where the state says: resumes, or is refused (typed).
      const data = [0, 1, 2].map((k) => ({ x: Int32Array.of(1, 2, 3, k, 4, 5), y: Int32Array.of(2, 3, 4, 5, k, 1), shape: [2, 3] as [number, number], carryState: k > 0 }));
      await trainer.fit({ epochs: Math.min(trainer.epoch + 1, Number.MAX_SAFE_INTEGER), data: () => data });
    }
  } finally {
    trainer?.dispose();
    optimizer?.dispose();
    if (loaded.optimizer) tf.dispose(Object.values(loaded.optimizer.tensors));
    disposeState(loaded.carriedState);
    loaded.model.dispose();
  }
}

const optimizerState: FuzzTarget<Uint8Array> = {
  name: 'optimizer state file',
  arbitrary: fc.oneof(
    { weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => mutate(validFiles().optimizer, ms)) },
    // The metadata that holds the optimizer's scalars, edited as JSON.
    {
      weight: 3,
      arbitrary: fc.constant(null).chain(() => {
        const parsed = parseSafetensors(validFiles().optimizer);
        return fc.tuple(jsonText(JSON.parse(parsed.metadata.scalars!)), fc.boolean(), fc.array(fc.string({ maxLength: 24 }), { maxLength: 2 })).map(([scalars, rename, extra]) => {
          const tensors: Record<string, SafetensorsArray> = {};
          for (const [name, e] of Object.entries(parsed.tensors)) tensors[rename ? name.replace(/^state\.\d+/, 'state.9') : name] = { dtype: 'F32', shape: e.shape, data: e.data as Float32Array };
          for (const name of extra) if (name) tensors[name] = { dtype: 'F32', shape: [2], data: new Float32Array(2) };
          return encodeSafetensors(tensors, { format: 'recurrent-optimizer/1', scalars });
        });
      }),
    },
  ),
  run: (bytes) => loadAll({ 'config.json': validFiles().config, 'model.safetensors': validFiles().model, 'optimizer.safetensors': bytes }),
  size: (b) => b.length,
  multiple: 16,
  runs: 120,
};

const trainerState: FuzzTarget<{ trainer: string; carried: Uint8Array | null }> = {
  name: 'trainer state files',
  arbitrary: fc.constant(null).chain(() =>
    fc.record({
      trainer: jsonText(validFiles().trainer),
      carried: fc.oneof(fc.constant(validFiles().carried), fc.constant(null), fc.array(mutation, { minLength: 1, maxLength: 2 }).map((ms) => mutate(validFiles().carried, ms)), safetensorsFile),
    }),
  ),
  run: ({ trainer, carried }) => {
    const files: Record<string, Uint8Array | string> = { 'config.json': validFiles().config, 'model.safetensors': validFiles().model, 'optimizer.safetensors': validFiles().optimizer, 'trainer.json': trainer };
    if (carried) files['carried-state.safetensors'] = carried;
    return loadAll(files);
  },
  size: (i) => i.trainer.length * 2 + (i.carried?.length ?? 0),
  multiple: 64,
  runs: 120,
};

/** Text in several scripts and the characters that trip tokenizers: NUL, lone surrogates, ZWJ, CRLF, RTL. */
const PIECES = ['the ', 'Time Traveller', '北京冬奥的进度条已经过半，', '😀', '👨‍👩‍👧', '🇫🇷', 'e\u0301', '\0', '\r\n', '\n', '\uD800', '\uDFFF', 'مرحبا بالعالم', 'שלום', 'Привет ', '\u200B', '\uFEFF', '\t', '各', '각', 'ก\u0e35', '  ', '...', "don't "];

/** A line of about 1 MB: a short mixed-script run repeated, with no newline in it. */
function megabyteLine(seed: string): string {
  const unit = seed.replaceAll('\n', ' ').replaceAll('\r', ' ') || 'x';
  return unit.repeat(Math.ceil(500_000 / unit.length));
}

const LEVELS = ['char', 'grapheme', 'word', 'jieba'] as const;

const tokenizerInput = fc.record({
  text: fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((p) => p.join('')) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 6 }).map((p) => megabyteLine(p.join(''))) },
  ),
  level: fc.constantFrom(...LEVELS),
  preprocess: fc.constantFrom('none' as const, 'd2l' as const),
});

const tokenizers: FuzzTarget<{ text: string; level: (typeof LEVELS)[number]; preprocess: 'none' | 'd2l' }> = {
  name: 'tokenizers',
  arbitrary: tokenizerInput,
  async run({ text, level, preprocess }) {
    const tokens = level === 'jieba' ? await createTokenizer({ level, preprocess }).tokenize(text) : tokenizeText(text, level, preprocess);
    // Without preprocessing, splitting into characters or clusters loses nothing.
    if (preprocess === 'none' && (level === 'char' || level === 'grapheme') && tokens.join('') !== text) throw new Error(`${level}: the tokens do not join back into the text`);
    // Word level splits on Python's str.isspace() characters (U+FEFF is not one).
    // eslint-disable-next-line no-control-regex -- U+001C…U+001F are whitespace to Python.
    if (level === 'word' && tokens.some((t) => t.length === 0 || /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(t))) throw new Error('word: a token is empty or holds whitespace');
    const vocab = new Vocab(tokens);
    const back = vocab.decode(vocab.encode(tokens));
    if (back.length !== tokens.length || back.some((t, i) => t !== tokens[i])) throw new Error('Vocab: decode(encode(tokens)) differs');
  },
  size: (i) => i.text.length * 2,
  multiple: 48,
  neverThrows: true,
  examples: LEVELS.flatMap((level) => [{ text: megabyteLine('北京冬奥的进度条已经过半 the time 😀e\u0301\0\uD800 '), level, preprocess: 'none' as const }]),
  runs: 60,
};

/** Option values a caller might pass: numbers of every kind, and things that are not numbers. */
const optionValue = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 40 }) },
  { weight: 1, arbitrary: fc.double({ noDefaultInfinity: false }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, 1e12, -0, 0.5, '3', null, true, [] as unknown[], {}) },
);

/** Mostly what a caller means (small positive integers, or nothing), sometimes anything. */
const mostlyInt = (max: number): fc.Arbitrary<unknown> => fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max }) }, { weight: 1, arbitrary: optionValue });
const maybe = (a: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });

const samplerInput = fc.record({
  kind: fc.constantFrom('random' as const, 'sequential' as const, 'padded' as const),
  corpus: fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 300 }).map((a) => Int32Array.from(a)) },
    { weight: 1, arbitrary: fc.array(fc.oneof(fc.integer({ min: -2, max: 9 }), fc.double(), fc.constant(Number.NaN)), { maxLength: 100 }) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 100 }).map((a) => Float32Array.from(a)) },
  ),
  options: fc
    .record({ batchSize: mostlyInt(6), numSteps: mostlyInt(9), offset: maybe(fc.oneof(fc.nat({ max: 9 }), optionValue)), maxOffset: maybe(fc.oneof(fc.nat({ max: 9 }), optionValue)), seed: maybe(optionValue), padId: fc.oneof(fc.nat({ max: 9 }), optionValue), shuffle: maybe(fc.constantFrom(true, false, 'yes')), dropLast: maybe(fc.constantFrom(true, false, 1)) })
    .map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))),
});

interface SamplerInput {
  kind: 'random' | 'sequential' | 'padded';
  corpus: ArrayLike<number>;
  options: Record<string, unknown>;
}

const samplers: FuzzTarget<SamplerInput> = {
  name: 'batch sampler options',
  arbitrary: samplerInput,
  run({ kind, corpus, options }) {
    let sampler: BatchSampler;
    if (kind === 'padded') {
      // Sentences: the corpus cut into pieces of 1 to 7 ids.
      const sentences: ArrayLike<number>[] = [];
      for (let i = 0; i < corpus.length; i += 1 + (i % 7)) sentences.push(Array.from(corpus).slice(i, i + 1 + (i % 7)));
      sampler = paddedBatches(sentences, options as never);
    } else sampler = (kind === 'random' ? randomBatches : sequentialBatches)(corpus, options as never);
    const values = new Set(Array.from(corpus));
    let n = 0;
    for (const b of sampler) {
      const [B, T] = b.shape;
      if (!(B >= 1 && T >= 1) || b.x.length !== B * T || b.y.length !== B * T) throw new Error(`a batch of shape [${B}, ${T}] holds ${b.x.length} ids`);
      for (const id of b.x) if (!values.has(id) && !(kind === 'padded' && id === options.padId)) throw new Error(`a batch holds id ${id}, not in the corpus`);
      if (++n >= 200) break;
    }
  },
  size: (i) => i.corpus.length * 8 + 64,
  multiple: 64,
  runs: 200,
};

const generationOptions: FuzzTarget<{ options: Record<string, unknown>; logits: number[] }> = {
  name: 'sampling options',
  arbitrary: fc.record({
    options: fc.record(
      {
        maxTokens: optionValue,
        temperature: optionValue,
        topK: optionValue,
        topP: fc.oneof(optionValue, fc.double({ min: 0, max: 1 })),
        repetitionPenalty: optionValue,
        beamWidth: optionValue,
        lengthPenalty: optionValue,
        seed: optionValue,
        strategy: fc.constantFrom('greedy', 'sample', 'beam', 'nucleus', undefined),
        stopStrings: fc.oneof(fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }), fc.constant('x')),
      },
      { requiredKeys: [] },
    ),
    logits: fc.array(fc.oneof(fc.double({ min: -50, max: 50, noNaN: true }), fc.constant(-Infinity)), { minLength: 1, maxLength: 40 }),
  }),
  run({ options, logits }) {
    const o = resolveOptions('generate', options as never);
    const row = applyLogitsProcessors(o.processors, [0, 1, 2], Float32Array.from(logits));
    if (row.length !== logits.length) throw new Error('the processors changed the number of logits');
    if (o.strategy !== 'sample') return;
    const id = o.random.categorical(softmax64(row));
    if (!(id >= 0 && id < logits.length) || row[id] === -Infinity) throw new Error(`sampled id ${id}, a token the processors ruled out`);
  },
  size: (i) => i.logits.length * 8 + 256,
  multiple: 64,
  runs: 250,
};

export const TARGETS: FuzzTarget[] = [safetensors, checkpointConfig, vocabJson, optimizerState, trainerState, tokenizers, samplers, generationOptions] as FuzzTarget[];

