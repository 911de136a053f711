import { InvalidArgumentError, RecurrentError, VocabError } from '@recurrent/core';
import { createTokenizer, type Tokenizer } from '@recurrent/tokenizers';
import { applyLogitsProcessors, argmax, softmax64 } from '../processors/logits-processor';
import { maxTokensCriterion, shouldStop, stopStringsCriterion, stopTokensCriterion, type StoppingCriterion } from '../stopping/stopping-criteria';
import { beamSearch } from './beam-search';
import { concatStates, disposeModelState, stepOnce, tensorSession, warmSession, warmUp, type GenerationModel } from './model';
import { resolveOptions, type GenerateOptions, type ResolvedOptions } from './options';

/** Raised when an `AbortSignal` cancels generation; `generated` holds what was produced. */
export class GenerationAbortedError extends RecurrentError {
  readonly generated: number;
  constructor(fn: string, generated: number, cause?: unknown) {
    super('ABORTED', `${fn}: aborted after ${generated} generated tokens`, { cause });
    this.name = 'GenerationAbortedError';
    this.generated = generated;
  }
}

/** One generated token, as streamed. */
export interface GeneratedToken {
  /** Which prefix of the batch (0 for a single prefix). */
  row: number;
  id: number;
  token: string;
  /** The text this token adds to the output (with the level's separator before it). */
  text: string;
}

export type FinishReason = 'length' | 'stop';

export interface GenerationResult {
  prefix: string;
  /** The prefix's tokens joined, then the generated tokens: d2l's `predict_ch8` output. */
  text: string;
  /** The prefix part of `text`. */
  prefixText: string;
  prefixTokens: string[];
  prefixIds: number[];
  /** Generated tokens and ids. */
  tokens: string[];
  ids: number[];
  finishReason: FinishReason;
  /** Beam search only: the length-normalised log-probability of the chosen hypothesis. */
  score?: number;
}

export interface EncodedPrefix {
  tokens: string[];
  ids: number[];
  /** The tokens joined back: what the output text starts with. */
  text: string;
}

export interface GeneratorInit {
  model: GenerationModel;
  /** `tokens[i]` is the token of id i; `unk` the token unknown tokens map to (or null). */
  vocab: { tokens: readonly string[]; unk: string | null };
  /** How text becomes tokens and back (default char level, no preprocessing). */
  tokenizer?: { level: 'char' | 'word' | 'jieba' | 'grapheme'; preprocess: 'd2l' | 'none' };
}

/** Milliseconds between yields to the event loop, so timers and signals can fire mid-run. */
const YIELD_EVERY_MS = 15;
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * Continues text after a prefix with a recurrent language model: warm-up on the prefix (state
 * carried, as `predict_ch8`), then one model step per token with greedy choice, sampling
 * through logits processors, or beam search; streaming, cancellable, batched. Put a model you
 * built yourself in eval mode first (`model.eval()`: no dropout, fused steps); `loadGenerator` does.
 */
export class Generator {
  readonly model: GenerationModel;
  readonly vocab: { tokens: readonly string[]; unk: string | null };
  readonly tokenizer: Tokenizer;
  private readonly rawTokenizer: Tokenizer;
  private readonly index = new Map<string, number>();

  constructor(init: GeneratorInit) {
    const fn = 'Generator';
    if (!init || typeof init.model?.step !== 'function') {
      throw new InvalidArgumentError({ fn, argument: 'model', expected: 'a language model with step()', received: init?.model });
    }
    const tokens = init.vocab?.tokens;
    if (!Array.isArray(tokens) || tokens.length !== init.model.config.vocabSize) {
      throw new InvalidArgumentError({
        fn,
        argument: 'vocab.tokens',
        expected: `an array of ${init.model.config.vocabSize} tokens (the model's vocabSize)`,
        received: tokens,
      });
    }
    this.model = init.model;
    this.vocab = { tokens: [...tokens], unk: init.vocab.unk };
    tokens.forEach((t, i) => this.index.set(t, i));
    const level = init.tokenizer?.level ?? 'char';
    const preprocess = init.tokenizer?.preprocess ?? 'none';
    this.tokenizer = createTokenizer({ level, preprocess });
    this.rawTokenizer = preprocess === 'none' ? this.tokenizer : createTokenizer({ level, preprocess: 'none' });
  }

  /** Splits the prefix into tokens and ids (unknown tokens: unk or VocabError, by option). */
  async encodePrefix(prefix: string, options: Pick<GenerateOptions, 'unknown' | 'preprocessPrefix'> = {}): Promise<EncodedPrefix> {
    const fn = 'Generator.encodePrefix';
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new InvalidArgumentError({ fn, argument: 'prefix', expected: 'a non-empty string', received: prefix });
    }
    const tokenizer = options.preprocessPrefix ? this.tokenizer : this.rawTokenizer;
    const tokens = await tokenizer.tokenize(prefix);
    if (tokens.length === 0) {
      throw new InvalidArgumentError({ fn, argument: 'prefix', expected: 'a text with at least one token', received: prefix });
    }
    const unkId = this.vocab.unk === null ? undefined : this.index.get(this.vocab.unk);
    const ids = tokens.map((t) => {
      const id = this.index.get(t);
      if (id !== undefined) return id;
      if (options.unknown === 'error' || unkId === undefined) {
        throw new VocabError({
          fn,
          argument: 'prefix',
          expected: unkId === undefined ? 'tokens of the vocabulary (it has no unk token)' : 'tokens of the vocabulary',
          received: t,
        });
      }
      return unkId;
    });
    return { tokens, ids, text: tokenizer.join(tokens) };
  }

  /** Generates after one prefix. */
  async generate(prefix: string, options: GenerateOptions = {}): Promise<GenerationResult> {
    const [result] = await this.generateBatch([prefix], options, 'Generator.generate');
    return result!;
  }

  /** Generates after several prefixes at once (greedy and sampling run them as one batch). */
  async generateBatch(prefixes: readonly string[], options: GenerateOptions = {}, fn = 'Generator.generateBatch'): Promise<GenerationResult[]> {
    const run = await this.start(fn, prefixes, options);
    for await (const _ of run.events) {
      // events are delivered to streamer/onToken inside `events`
    }
    return run.results;
  }

  /**
   * An async iterator of generated tokens, each yielded as soon as it is produced; breaking out
   * of the loop stops generation and frees the model state.
   */
  async *stream(prefix: string | readonly string[], options: GenerateOptions = {}): AsyncGenerator<GeneratedToken, GenerationResult[], undefined> {
    const run = await this.start('Generator.stream', typeof prefix === 'string' ? [prefix] : prefix, options);
    yield* run.events;
    return run.results;
  }

  /**
   * The logits of the first generation step after warming up on `prefix` (the numbers
   * `expected.json`'s `logits.firstStep` holds).
   */
  async firstStepLogits(prefix: string, options: Pick<GenerateOptions, 'unknown' | 'preprocessPrefix'> = {}): Promise<Float32Array> {
    const { ids } = await this.encodePrefix(prefix, options);
    const state = warmUp(this.model, ids);
    const out = stepOnce(this.model, [ids[ids.length - 1]!], state);
    disposeModelState(out.state);
    return out.logits;
  }

  /** Joins tokens the way the tokenizer level does (`''` for char/jieba, `' '` for word). */
  join(tokens: readonly string[]): string {
    return this.tokenizer.join(tokens);
  }

  private async start(
    fn: string,
    prefixes: readonly string[],
    options: GenerateOptions,
  ): Promise<{ events: AsyncGenerator<GeneratedToken, void, undefined>; results: GenerationResult[] }> {
    if (!Array.isArray(prefixes) || prefixes.length === 0) {
      throw new InvalidArgumentError({ fn, argument: 'prefixes', expected: 'a non-empty array of strings', received: prefixes });
    }
    prefixes.forEach((p, i) => {
      if (typeof p !== 'string' || p.length === 0) {
        throw new InvalidArgumentError({ fn, argument: prefixes.length === 1 ? 'prefix' : `prefixes[${i}]`, expected: 'a non-empty string', received: p });
      }
    });
    const o = resolveOptions(fn, options);
    const encoded: EncodedPrefix[] = [];
    for (const p of prefixes) encoded.push(await this.encodePrefix(p, o));
    const stopIds = o.stopTokens.map((t) => {
      const id = this.index.get(t);
      if (id === undefined) throw new VocabError({ fn, argument: 'stopTokens', expected: 'tokens of the vocabulary', received: t });
      return id;
    });
    const criteria: StoppingCriterion[] = [...o.stoppingCriteria];
    if (stopIds.length > 0) criteria.push(stopTokensCriterion(stopIds));
    if (o.stopStrings.length > 0) criteria.push(stopStringsCriterion(o.stopStrings));
    if (o.maxTokens > 0) criteria.push(maxTokensCriterion(o.maxTokens));

    const results: GenerationResult[] = encoded.map((e, i) => ({
      prefix: prefixes[i]!,
      text: e.text,
      prefixText: e.text,
      prefixTokens: e.tokens,
      prefixIds: e.ids,
      tokens: [],
      ids: [],
      finishReason: 'length',
    }));
    const events = o.strategy === 'beam' ? this.beamEvents(fn, encoded, o, criteria, results) : this.stepEvents(fn, encoded, o, criteria, results);
    return { events, results };
  }

  /** The text `token` adds after `previous` (the level's separator, then the token). */
  private piece(previous: string, token: string): string {
    return this.tokenizer.join([previous, token]).slice(this.tokenizer.join([previous]).length);
  }

  private emit(o: ResolvedOptions, result: GenerationResult, ev: GeneratedToken): void {
    result.tokens.push(ev.token);
    result.ids.push(ev.id);
    result.text += ev.text;
    o.streamer?.put(ev.text, { row: ev.row, id: ev.id, token: ev.token });
    o.onToken?.(ev.text, { row: ev.row, id: ev.id, token: ev.token });
  }

  /** Returns a function to await before each step: abort check, and a yield every few ms. */
  private pacer(fn: string, o: ResolvedOptions, results: GenerationResult[]): (generated: number) => Promise<void> {
    let lastYield = Date.now();
    return async () => {
      if (Date.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = Date.now();
      }
      if (o.signal?.aborted) {
        throw new GenerationAbortedError(
          fn,
          results.reduce((n, r) => n + r.ids.length, 0),
          o.signal.reason,
        );
      }
    };
  }

  private async *stepEvents(
    fn: string,
    encoded: EncodedPrefix[],
    o: ResolvedOptions,
    criteria: StoppingCriterion[],
    results: GenerationResult[],
  ): AsyncGenerator<GeneratedToken, void, undefined> {
    const V = this.model.config.vocabSize;
    const B = encoded.length;
    const pace = this.pacer(fn, o, results);
    const seqs = encoded.map((e) => [...e.ids]);
    const done = new Array<boolean>(B).fill(o.maxTokens === 0);
    try {
      if (o.maxTokens === 0) return;
      await pace(0);
      // The model's tensor-free session when it has one (eval mode), else a tensor step per token.
      const session =
        warmSession(
          this.model,
          encoded.map((e) => e.ids),
        ) ?? tensorSession(this.model, concatStates(encoded.map((e) => warmUp(this.model, e.ids))));
      try {
        for (let step = 0; step < o.maxTokens && done.includes(false); step++) {
          await pace(step);
          const lastIds = seqs.map((s) => s[s.length - 1]!);
          const logits = session.step(lastIds); // [B * V]
          for (let r = 0; r < B; r++) {
            if (done[r]) continue;
            const seq = seqs[r]!;
            const result = results[r]!;
            // Processors may rewrite the row: they get a copy; greedy without any reads it in place.
            const own = o.processors.length > 0 ? logits.slice(r * V, (r + 1) * V) : logits.subarray(r * V, (r + 1) * V);
            const row = applyLogitsProcessors(o.processors, seq, own);
            const id = o.strategy === 'greedy' ? argmax(row) : o.random.categorical(softmax64(row));
            seq.push(id);
            const token = this.vocab.tokens[id]!;
            const previous = result.tokens.length > 0 ? result.tokens[result.tokens.length - 1]! : result.prefixTokens[result.prefixTokens.length - 1]!;
            const ev: GeneratedToken = { row: r, id, token, text: this.piece(previous, token) };
            this.emit(o, result, ev);
            const ctx = { ids: seq, numGenerated: result.ids.length, lastId: id, generatedText: () => this.tokenizer.join(result.tokens) };
            if (shouldStop(criteria, ctx)) {
              done[r] = true;
              result.finishReason = result.ids.length >= o.maxTokens ? 'length' : 'stop';
            }
            yield ev;
          }
        }
      } finally {
        session.dispose();
      }
    } finally {
      o.streamer?.end();
    }
  }

  private async *beamEvents(
    fn: string,
    encoded: EncodedPrefix[],
    o: ResolvedOptions,
    criteria: StoppingCriterion[],
    results: GenerationResult[],
  ): AsyncGenerator<GeneratedToken, void, undefined> {
    const pace = this.pacer(fn, o, results);
    const extra = criteria.filter((_, i) => i < criteria.length - (o.maxTokens > 0 ? 1 : 0)); // all but maxTokens
    try {
      for (let r = 0; r < encoded.length; r++) {
        const e = encoded[r]!;
        const result = results[r]!;
        if (o.maxTokens === 0) continue;
        const best = await beamSearch(this.model, e.ids, {
          beamWidth: o.beamWidth,
          lengthPenalty: o.lengthPenalty,
          maxTokens: o.maxTokens,
          processors: o.processors,
          isFinished: (ctx) => shouldStop(extra, ctx),
          beforeStep: pace,
          textOf: (ids) => this.tokenizer.join(ids.map((id) => this.vocab.tokens[id]!)),
        });
        result.score = best.score;
        result.finishReason = best.finished ? 'stop' : 'length';
        let previous = e.tokens[e.tokens.length - 1]!;
        for (const id of best.ids) {
          const token = this.vocab.tokens[id]!;
          const ev: GeneratedToken = { row: r, id, token, text: this.piece(previous, token) };
          previous = token;
          this.emit(o, result, ev);
          yield ev;
        }
      }
    } finally {
      o.streamer?.end();
    }
  }
}
