import { InvalidArgumentError, Random, scope, tf, type Tensor } from '@recurrent/core';
import { LanguageModel, detachState, disposeState, type RecurrentState } from '@recurrent/layers';
import { Adam, clipGradNorm, crossEntropy, valueAndGrads } from '@recurrent/train';
import { Vocab, createTokenizer } from '@recurrent/tokenizers';
import { DEFAULT_SESSION, type BatchProgress, type EpochStats, type SessionConfig } from './session-config';

export { DEFAULT_SESSION, type BatchProgress, type EpochStats, type SessionConfig, type TokenizerSpec } from './session-config';

export interface EpochOptions {
  onBatch?: (progress: BatchProgress) => void;
  signal?: AbortSignal;
  /** Stop after this many batches (the epoch's stats then cover those only). */
  maxBatches?: number;
  /** Stop once this many seconds have passed (checked after each batch). */
  maxSeconds?: number;
  /** Lets a UI breathe between batches (the web worker yields to its message loop). */
  yieldEvery?: () => Promise<void>;
}

export interface GenerateOptions {
  tokens: number;
  temperature: number;
  topK?: number;
  seed?: number;
}

const FN = 'TrainingSession';

/**
 * A character (or word) language model trained on one text: tokenizer, vocabulary, token ids,
 * model, optimizer and the loop state. Works in Node and in a Web Worker.
 */
export class TrainingSession {
  readonly config: SessionConfig;
  readonly vocab: Vocab;
  readonly model: LanguageModel;
  readonly ids: Int32Array;
  private readonly joinTokens: (tokens: string[]) => string;
  private readonly tokenizeText: (text: string) => Promise<string[]> | string[];
  private readonly optimizer: Adam;
  private readonly random: Random;
  private epochIndex = 0;
  /** How many of `ids` the epochs run over (the first `active`); all by default. */
  private active: number;
  readonly history: EpochStats[] = [];

  private constructor(
    config: SessionConfig,
    vocab: Vocab,
    ids: Int32Array,
    tokenizer: { tokenize(text: string): Promise<string[]> | string[]; join(tokens: string[]): string },
  ) {
    this.config = config;
    this.vocab = vocab;
    this.ids = ids;
    this.active = ids.length;
    this.tokenizeText = (t) => tokenizer.tokenize(t);
    this.joinTokens = (t) => tokenizer.join(t);
    this.random = new Random(config.seed);
    this.model = new LanguageModel({
      cell: config.cell,
      input: config.embeddingDim === null ? 'one-hot' : 'embedding',
      embeddingDim: config.embeddingDim,
      vocabSize: vocab.size,
      hiddenSize: config.hiddenSize,
      numLayers: config.numLayers,
      random: this.random.fork(),
    });
    this.optimizer = new Adam(this.model.parameters(), { lr: config.lr });
  }

  /** Tokenizes `text`, builds the vocabulary and the model. */
  static async create(text: string, config: SessionConfig = DEFAULT_SESSION): Promise<TrainingSession> {
    const tokenizer = createTokenizer(config.tokenizer);
    const tokens = await tokenizer.tokenize(text);
    const needed = config.batchSize * config.numSteps * 2 + config.numSteps + 1;
    if (tokens.length < needed) {
      throw new InvalidArgumentError({
        fn: FN,
        argument: 'text',
        expected: `at least ${needed} tokens for batch ${config.batchSize} and ${config.numSteps} steps`,
        received: `${tokens.length} tokens`,
      });
    }
    const vocab = new Vocab(tokens);
    const ids = vocab.encode(tokens);
    return new TrainingSession(config, vocab, ids, tokenizer);
  }

  /** A session around saved weights: it generates; training it needs a new session. */
  static restore(config: SessionConfig, vocab: Vocab, weights: Record<string, Tensor>): TrainingSession {
    const session = new TrainingSession(config, vocab, new Int32Array(0), createTokenizer(config.tokenizer));
    try {
      session.model.loadStateDict(weights, { strict: true });
    } catch (error) {
      session.dispose();
      throw error;
    }
    session.model.eval();
    return session;
  }

  /** Optimizer steps in one epoch over the ids (sequential partitioning, d2l 8.3). */
  get batchesPerEpoch(): number {
    const { batchSize: b, numSteps: t } = this.config;
    return Math.floor(Math.floor((this.active - 1) / b) / t);
  }

  /** Tokens the epochs run over. */
  get corpusTokens(): number {
    return this.active;
  }

  /** Trains on the first `tokens` ids only (at least one batch), e.g. to fit a time budget. */
  limitCorpus(tokens: number): void {
    const { batchSize: b, numSteps: t } = this.config;
    this.active = Math.max(b * t * 2 + t + 1, Math.min(this.ids.length, Math.floor(tokens)));
  }

  /**
   * One epoch of truncated backpropagation through time: a random offset, the stream cut into
   * `batchSize` rows, windows of `numSteps` in order with the state carried and detached.
   */
  async trainEpoch(options: EpochOptions = {}): Promise<EpochStats> {
    const { batchSize: b, numSteps: t, clip } = this.config;
    if (this.active < b * t * 2 + t + 1) {
      throw new InvalidArgumentError({ fn: `${FN}.trainEpoch`, argument: 'corpus', expected: `at least ${b * t * 2 + t + 1} tokens`, received: this.active });
    }
    const offset = this.random.int(t);
    const rowLength = Math.floor((this.active - offset - 1) / b);
    const windows = Math.floor(rowLength / t);
    const batches = Math.min(windows, options.maxBatches ?? windows);
    const params = this.model.parameters();
    const x = new Int32Array(b * t);
    const y = new Int32Array(b * t);
    let state: RecurrentState = this.model.beginState(b);
    let lossSum = 0;
    const started = now();
    this.model.train();
    let done = 0;
    for (let k = 0; k < batches; k++) {
      if (options.signal?.aborted) break;
      for (let row = 0; row < b; row++) {
        const start = offset + row * rowLength + k * t;
        x.set(this.ids.subarray(start, start + t), row * t);
        y.set(this.ids.subarray(start + 1, start + t + 1), row * t);
      }
      const xs = tf.tensor2d(x, [b, t], 'int32'); // [B, T]
      const ys = tf.tensor2d(y, [b, t], 'int32'); // [B, T]
      let next: RecurrentState | undefined;
      const inState = state;
      this.optimizer.zeroGrad();
      const { loss } = valueAndGrads(
        params,
        () => {
          const out = this.model.forward(xs, inState);
          next = keepState(out.state);
          return crossEntropy(out.logits, ys); // mean over B·T
        },
        { mode: 'replace' },
      );
      xs.dispose();
      ys.dispose();
      disposeState(inState);
      state = detachOwned(next!);
      if (clip > 0) clipGradNorm(params, clip);
      this.optimizer.step();
      lossSum += loss;
      done++;
      if (!Number.isFinite(loss)) break;
      const seconds = (now() - started) / 1000;
      options.onBatch?.({ batch: done, batches, loss, tokensPerSecond: (done * b * t) / Math.max(seconds, 1e-9) });
      if (options.maxSeconds !== undefined && seconds >= options.maxSeconds) break;
      if (options.yieldEvery) await options.yieldEvery();
    }
    disposeState(state);
    this.model.eval();
    const seconds = (now() - started) / 1000;
    const tokens = done * b * t;
    const meanLoss = done > 0 ? lossSum / done : Number.NaN;
    const stats: EpochStats = {
      epoch: ++this.epochIndex,
      loss: meanLoss,
      perplexity: Math.exp(meanLoss),
      tokens,
      seconds,
      tokensPerSecond: tokens / Math.max(seconds, 1e-9),
      batches: done,
    };
    this.history.push(stats);
    return stats;
  }

  /** Warms up on `prefix`, then samples `tokens` tokens (temperature, optional top-k). */
  async generate(prefix: string, options: GenerateOptions): Promise<string> {
    if (!(options.temperature > 0)) {
      throw new InvalidArgumentError({ fn: `${FN}.generate`, argument: 'temperature', expected: 'a number > 0', received: options.temperature });
    }
    const prefixTokens = await this.tokenizeText(prefix);
    if (prefixTokens.length === 0) {
      throw new InvalidArgumentError({ fn: `${FN}.generate`, argument: 'prefix', expected: 'a non-empty text', received: prefix });
    }
    const random = new Random(options.seed ?? 0);
    const ids = this.vocab.encode(prefixTokens);
    const out: number[] = [...ids];
    let state = this.model.beginState(1);
    let logits: Float32Array | undefined;
    const step = (id: number): void => {
      const next = scope(() => {
        const r = this.model.step(tf.tensor1d([id], 'int32'), state);
        return { logits: r.logits, h: r.state.h, ...(r.state.c ? { c: r.state.c } : {}) };
      });
      disposeState(state);
      state = { h: next.h, ...(next.c ? { c: next.c } : {}) };
      logits = next.logits.dataSync() as Float32Array;
      next.logits.dispose();
    };
    for (const id of ids) step(id);
    for (let i = 0; i < options.tokens; i++) {
      const id = sampleLogits(logits!, options.temperature, options.topK, random);
      out.push(id);
      if (i + 1 < options.tokens) step(id);
    }
    disposeState(state);
    return this.joinTokens(this.vocab.decode(out));
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
  }
}

function keepState(s: RecurrentState): RecurrentState {
  tf.keep(s.h);
  if (s.c) tf.keep(s.c);
  return s;
}

/** Copies a state without tape history and disposes the original. */
function detachOwned(s: RecurrentState): RecurrentState {
  const d = detachState(s);
  if (d.h !== s.h) s.h.dispose();
  if (s.c && d.c !== s.c) s.c.dispose();
  return d;
}

/** Picks one id from logits scaled by 1/temperature, restricted to the top k when given. */
export function sampleLogits(logits: Float32Array, temperature: number, topK: number | undefined, random: Random): number {
  const n = logits.length;
  let order = Array.from({ length: n }, (_, i) => i);
  if (topK !== undefined && topK < n) {
    order.sort((a, b) => logits[b]! - logits[a]!);
    order = order.slice(0, Math.max(1, topK));
  }
  let max = -Infinity;
  for (const i of order) max = Math.max(max, logits[i]! / temperature);
  const weights = order.map((i) => Math.exp(logits[i]! / temperature - max));
  return order[random.categorical(weights)]!;
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

export type { Tensor };
