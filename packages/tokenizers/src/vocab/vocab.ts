import { checkInt, InvalidArgumentError, VocabError, describe } from '@recurrent/core';

/** Tokens, or lists of tokens (lines, sentences) at any depth. */
export type NestedTokens = readonly (string | NestedTokens)[];

export interface VocabOptions {
  /** Tokens seen fewer times are left out (they map to `unk`). Default 0, as d2l. */
  minFreq?: number;
  /** Tokens placed right after `unk`, in this order, whatever their count (e.g. `<pad>`, `<bos>`, `<eos>`). */
  reservedTokens?: readonly string[];
  /**
   * The token unknown tokens map to, at index 0. Default `'<unk>'`. `null`: no unknown token;
   * encoding a token that is not in the vocabulary is then a `VocabError` naming it.
   */
  unk?: string | null;
}

/** The JSON form of a `Vocab`. `{tokens, unk}` is the `vocab` object of a `recurrent-lm/1` checkpoint. */
export interface VocabJSON {
  /** `tokens[i]` is the token with id `i`. */
  tokens: string[];
  unk: string | null;
  /** The corpus counts, most frequent first (optional: a checkpoint does not store them). */
  tokenFreqs?: [string, number][];
}

/**
 * A token <-> id map with d2l's ordering: `unk` (index 0), the reserved tokens, then the corpus
 * tokens by descending frequency, ties in order of first occurrence, those below `minFreq` left out.
 */
export class Vocab {
  /** `idToToken[i]` is the token with id `i`. */
  readonly idToToken: readonly string[];
  /** The unknown token, or `null` if this vocabulary has none. */
  readonly unk: string | null;
  private readonly tokenToId: Map<string, number>;
  private readonly freqs: readonly (readonly [string, number])[];

  constructor(tokens: NestedTokens = [], options: VocabOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError({ fn: 'Vocab', argument: 'options', expected: 'an object', received: options });
    }
    const minFreq = checkInt('Vocab', 'options.minFreq', options.minFreq ?? 0, 0);
    const unk = options.unk === undefined ? '<unk>' : options.unk;
    if (unk !== null && typeof unk !== 'string') {
      throw new InvalidArgumentError({ fn: 'Vocab', argument: 'unk', expected: 'a string or null', received: unk });
    }
    const reserved = options.reservedTokens ?? [];
    if (!Array.isArray(reserved) || reserved.some((t) => typeof t !== 'string')) {
      throw new InvalidArgumentError({ fn: 'Vocab', argument: 'reservedTokens', expected: 'an array of strings', received: reserved });
    }
    const counts = countTokens(tokens);
    // A stable sort keeps first-seen order among equal counts (Map iterates in insertion order).
    const freqs = [...counts].sort((a, b) => b[1] - a[1]);
    const itos: string[] = [];
    const stoi = new Map<string, number>();
    const add = (t: string): void => {
      if (!stoi.has(t)) {
        stoi.set(t, itos.length);
        itos.push(t);
      }
    };
    if (unk !== null) add(unk);
    for (const t of reserved) add(t);
    for (const [t, n] of freqs) {
      if (n < minFreq) break;
      add(t);
    }
    this.idToToken = itos;
    this.tokenToId = stoi;
    this.unk = unk;
    this.freqs = freqs;
  }

  /** Rebuilds a vocabulary from `toJSON()` (or a checkpoint's `{tokens, unk}`). */
  static fromJSON(json: unknown): Vocab {
    const j = json as Partial<VocabJSON> | null;
    if (typeof j !== 'object' || j === null || !Array.isArray(j.tokens) || j.tokens.some((t) => typeof t !== 'string')) {
      throw new InvalidArgumentError({ fn: 'Vocab.fromJSON', argument: 'json.tokens', expected: 'an array of strings', received: j?.tokens });
    }
    if (new Set(j.tokens).size !== j.tokens.length) {
      throw new VocabError({ fn: 'Vocab.fromJSON', argument: 'json.tokens', expected: 'distinct tokens', received: `${j.tokens.length - new Set(j.tokens).size} duplicates` });
    }
    const unk = j.unk === undefined ? null : j.unk;
    if (unk !== null && (typeof unk !== 'string' || !j.tokens.includes(unk))) {
      throw new VocabError({ fn: 'Vocab.fromJSON', argument: 'json.unk', expected: 'null or one of json.tokens', received: unk });
    }
    const freqs = j.tokenFreqs ?? [];
    if (!Array.isArray(freqs) || freqs.some((e) => !Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number')) {
      throw new InvalidArgumentError({ fn: 'Vocab.fromJSON', argument: 'json.tokenFreqs', expected: 'an array of [token, count] pairs', received: freqs });
    }
    const v = Object.create(Vocab.prototype) as Vocab;
    Object.assign(v, {
      idToToken: [...j.tokens],
      unk,
      tokenToId: new Map(j.tokens.map((t, i) => [t, i])),
      freqs: freqs.map(([t, n]) => [t, n] as const),
    });
    return v;
  }

  /** The same as `idToToken`. */
  get tokens(): readonly string[] {
    return this.idToToken;
  }

  /** The number of tokens (ids are 0 … size − 1). */
  get size(): number {
    return this.idToToken.length;
  }

  /** The id of `unk`, or -1 when there is none. */
  get unkId(): number {
    return this.unk === null ? -1 : this.tokenToId.get(this.unk)!;
  }

  /** Every distinct corpus token with its count, most frequent first, ties in first-seen order. */
  get tokenFreqs(): readonly (readonly [string, number])[] {
    return this.freqs;
  }

  /** Whether `token` has its own id. */
  has(token: string): boolean {
    return this.tokenToId.has(token);
  }

  /** The id of one token (`unk`'s id when absent; a `VocabError` when absent and there is no `unk`). */
  id(token: string): number {
    const i = this.tokenToId.get(token);
    if (i !== undefined) return i;
    if (this.unk !== null) return this.tokenToId.get(this.unk)!;
    throw new VocabError({ fn: 'Vocab.encode', argument: 'token', expected: 'a token of the vocabulary (it has no unk token)', received: token });
  }

  /** Token ids; unknown tokens map to `unk` (or throw a `VocabError` naming the token when there is no `unk`). */
  encode(tokens: readonly string[]): Int32Array {
    if (!Array.isArray(tokens)) throw new InvalidArgumentError({ fn: 'Vocab.encode', argument: 'tokens', expected: 'an array of tokens (strings)', received: tokens });
    const out = new Int32Array(tokens.length);
    const unkId = this.unkId;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (typeof t !== 'string') throw new InvalidArgumentError({ fn: 'Vocab.encode', argument: `tokens[${i}]`, expected: 'a string', received: t });
      const id = this.tokenToId.get(t);
      if (id !== undefined) out[i] = id;
      else if (unkId >= 0) out[i] = unkId;
      else {
        throw new VocabError({ fn: 'Vocab.encode', argument: `tokens[${i}]`, expected: 'a token of the vocabulary (it has no unk token)', received: t });
      }
    }
    return out;
  }

  /** The tokens of `ids`; an id outside 0 … size − 1 is a `VocabError`. */
  decode(ids: ArrayLike<number> | Iterable<number>): string[] {
    const arr = Array.from(ids as ArrayLike<number>);
    return arr.map((id, i) => {
      const t = Number.isInteger(id) ? this.idToToken[id] : undefined;
      if (t === undefined) {
        throw new VocabError({ fn: 'Vocab.decode', argument: `ids[${i}]`, expected: `an integer id in [0, ${this.size - 1}]`, received: id });
      }
      return t;
    });
  }

  /** `{tokens, unk, tokenFreqs}`; `Vocab.fromJSON` reads it back. */
  toJSON(): VocabJSON {
    return { tokens: [...this.idToToken], unk: this.unk, tokenFreqs: this.freqs.map(([t, n]) => [t, n]) };
  }

  /** `{tokens, unk}` only: the `vocab` object of a `recurrent-lm/1` checkpoint config. */
  toConfig(): { tokens: string[]; unk: string | null } {
    return { tokens: [...this.idToToken], unk: this.unk };
  }

  toString(): string {
    return `Vocab(size=${this.size}, unk=${describe(this.unk)})`;
  }
}

/** Counts tokens in first-seen order, flattening nested lists (d2l's `count_corpus`). */
export function countTokens(tokens: NestedTokens): Map<string, number> {
  const counts = new Map<string, number>();
  const visit = (list: NestedTokens, path: string): void => {
    if (!Array.isArray(list)) {
      throw new InvalidArgumentError({ fn: 'Vocab', argument: path, expected: 'an array of tokens or of token arrays', received: list });
    }
    for (let i = 0; i < list.length; i++) {
      const t = list[i];
      if (typeof t === 'string') counts.set(t, (counts.get(t) ?? 0) + 1);
      else visit(t as NestedTokens, `${path}[${i}]`);
    }
  };
  visit(tokens, 'tokens');
  return counts;
}
