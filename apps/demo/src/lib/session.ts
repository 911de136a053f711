import { InvalidArgumentError, Random, tf } from '@recurrent/core';
import { Generator } from '@recurrent/generate';
import { LanguageModel, detachState, disposeState, type CheckpointMeta, type RecurrentState } from '@recurrent/layers';
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
  private readonly generator: Generator;
  private readonly optimizer: Adam;
  private readonly random: Random;
  private epochIndex = 0;
  /** How many of `ids` the epochs run over (the first `active`); all by default. */
  private active: number;
  readonly history: EpochStats[] = [];

  private constructor(config: SessionConfig, vocab: Vocab, ids: Int32Array, model?: LanguageModel) {
    this.config = config;
    this.vocab = vocab;
    this.ids = ids;
    this.active = ids.length;
    this.random = new Random(config.seed);
    this.model =
      model ??
      new LanguageModel({
        cell: config.cell,
        input: config.embeddingDim === null ? 'one-hot' : 'embedding',
        embeddingDim: config.embeddingDim,
        vocabSize: vocab.size,
        hiddenSize: config.hiddenSize,
        numLayers: config.numLayers,
        random: this.random.fork(),
      });
    this.optimizer = new Adam(this.model.parameters(), { lr: config.lr });
    this.generator = new Generator({ model: this.model, vocab: vocab.toConfig(), tokenizer: config.tokenizer });
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
    return new TrainingSession(config, vocab, ids);
  }

  /** A session around a trained model (e.g. from a checkpoint): it generates; training needs a new session. */
  static fromModel(config: SessionConfig, model: LanguageModel, vocab: Vocab): TrainingSession {
    model.eval();
    return new TrainingSession(config, vocab, new Int32Array(0), model);
  }

  /** What a checkpoint stores beside the weights. */
  checkpointMeta(): CheckpointMeta {
    return { tokenizer: { ...this.config.tokenizer }, vocab: this.vocab };
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

  /** Warms up on `prefix`, then samples `tokens` tokens (temperature, optional top-k); returns prefix + continuation. */
  async generate(prefix: string, options: GenerateOptions): Promise<string> {
    this.model.eval();
    const result = await this.generator.generate(prefix, {
      strategy: 'sample',
      maxTokens: options.tokens,
      temperature: options.temperature,
      ...(options.topK !== undefined ? { topK: options.topK } : {}),
      seed: options.seed ?? 0,
    });
    return result.text;
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

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

