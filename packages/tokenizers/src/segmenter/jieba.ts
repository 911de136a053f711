import { InvalidArgumentError } from '@recurrent/core';
import type { Segmenter } from './segmenter';

/** The functions this package uses from `jieba-wasm` (its Node and web builds both have them). */
interface JiebaModule {
  cut(text: string, hmm?: boolean | null): string[];
  add_word(word: string, freq?: number | null, tag?: string | null): number;
}

/** A word for the user dictionary: the word, or `{word, freq?, tag?}` as in jieba's `add_word`. */
export type UserWord = string | { word: string; freq?: number; tag?: string };

export interface JiebaOptions {
  /** Use jieba's HMM for words not in the dictionary (Python `jieba.lcut` default: true). */
  hmm?: boolean;
  /** Words added to the dictionary before the first cut (jieba's dictionary is global to the wasm instance). */
  userWords?: readonly UserWord[];
  /**
   * Browser only: where the web build fetches its `.wasm` from (a URL, a `Response`, bytes or a
   * compiled module); by default the file next to `jieba-wasm/pkg/web/jieba_rs_wasm.js`.
   */
  wasm?: unknown;
}

let loading: Promise<JiebaModule> | undefined;

/**
 * Loads `jieba-wasm` once, on first use (a dynamic import, so character-level users never load
 * the 4 MB wasm). In Node the `node` export condition selects the build that instantiates the
 * wasm synchronously on import; under a bundler the `browser`/`import` condition selects the web
 * build, whose default export must be awaited once to fetch and instantiate the wasm: that is
 * done here (see `initJiebaModule`).
 */
export function loadJieba(options: { wasm?: unknown } = {}): Promise<JiebaModule> {
  loading ??= import('jieba-wasm').then((mod) => initJiebaModule(mod as unknown as Record<string, unknown>, options.wasm));
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/**
 * Makes either build of `jieba-wasm` usable. The web build (it exports `initSync`) must be
 * initialised before any call: `await init({ module_or_path })`, where `module_or_path` is the
 * `.wasm` URL (by default `new URL('jieba_rs_wasm_bg.wasm', import.meta.url)`, which bundlers
 * such as Vite rewrite to the emitted asset), a `Response`, the bytes or a compiled module. The
 * Node build (CommonJS) is ready on import; its functions are named exports and on `default`.
 */
export async function initJiebaModule(mod: Record<string, unknown>, wasm?: unknown): Promise<JiebaModule> {
  if ('initSync' in mod && typeof mod.default === 'function') {
    const init = mod.default as (input?: unknown) => Promise<unknown>;
    await init(wasm === undefined ? undefined : { module_or_path: wasm });
    return mod as unknown as JiebaModule;
  }
  const api = ('cut' in mod && typeof mod.cut === 'function' ? mod : mod.default) as JiebaModule | undefined;
  if (!api || typeof api.cut !== 'function') {
    throw new InvalidArgumentError({ fn: 'loadJieba', argument: 'jieba-wasm', expected: 'a module exporting cut()', received: Object.keys(mod) });
  }
  return api;
}

/** jieba word segmentation (jieba-rs through WebAssembly: the same output as Python `jieba.lcut`). */
export class JiebaSegmenter implements Segmenter {
  readonly name = 'jieba';
  private constructor(
    private readonly jieba: JiebaModule,
    readonly hmm: boolean,
  ) {}

  /** Loads jieba (once per process) and adds `userWords` to its dictionary. */
  static async create(options: JiebaOptions = {}): Promise<JiebaSegmenter> {
    const jieba = await loadJieba({ wasm: options.wasm });
    const segmenter = new JiebaSegmenter(jieba, options.hmm ?? true);
    for (const w of options.userWords ?? []) segmenter.addWord(w);
    return segmenter;
  }

  /** Adds a word to jieba's dictionary (shared by every `JiebaSegmenter` in this process or page). */
  addWord(word: UserWord): void {
    const entry = typeof word === 'string' ? { word } : word;
    if (typeof entry.word !== 'string' || entry.word.trim() === '' || /\s/u.test(entry.word)) {
      throw new InvalidArgumentError({ fn: 'JiebaSegmenter.addWord', argument: 'word', expected: 'a non-empty word without whitespace', received: entry.word });
    }
    if (entry.freq !== undefined && (!Number.isInteger(entry.freq) || entry.freq < 1)) {
      throw new InvalidArgumentError({ fn: 'JiebaSegmenter.addWord', argument: 'freq', expected: 'a positive integer', received: entry.freq });
    }
    this.jieba.add_word(entry.word, entry.freq ?? null, entry.tag ?? null);
  }

  cut(text: string): string[] {
    return text === '' ? [] : this.jieba.cut(text, this.hmm);
  }
}
