import { InvalidArgumentError, Random } from '@recurrent/core';
import { Generator } from '@recurrent/generate';
import { buildCorpus, sequentialBatches, type Batch, type BatchSampler } from '@recurrent/datasets';
import { LanguageModel, type CheckpointMeta } from '@recurrent/layers';
import { Adam, Trainer, type StepInfo } from '@recurrent/train';
import type { Vocab } from '@recurrent/tokenizers';
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
  private readonly trainer: Trainer;
  private sampler: BatchSampler | undefined;
  /** Receives the steps of the epoch that is running. */
  private onStep: ((info: StepInfo) => void) | undefined;
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
    this.trainer = new Trainer({
      model: this.model,
      optimizer: this.optimizer,
      clipNorm: config.clip > 0 ? config.clip : null,
      random: this.random.fork(),
      callbacks: [{ onStep: (info) => this.onStep?.(info) }],
    });
  }

  /** Tokenizes `text`, builds the vocabulary (datasets' `buildCorpus`) and the model. */
  static async create(text: string, config: SessionConfig = DEFAULT_SESSION): Promise<TrainingSession> {
    const { tokens, vocab, ids } = await buildCorpus(text, config.tokenizer);
    const needed = config.batchSize * config.numSteps * 2 + config.numSteps + 1;
    if (tokens.length < needed) {
      throw new InvalidArgumentError({
        fn: FN,
        argument: 'text',
        expected: `at least ${needed} tokens for batch ${config.batchSize} and ${config.numSteps} steps`,
        received: `${tokens.length} tokens`,
      });
    }
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
    this.sampler = undefined;
  }

  /**
   * One epoch of truncated backpropagation through time with @recurrent/train's `Trainer` over
   * @recurrent/datasets' `sequentialBatches` (d2l's sequential partitioning: a random offset,
   * the stream cut into `batchSize` rows, the state carried and detached between windows).
   */
  async trainEpoch(options: EpochOptions = {}): Promise<EpochStats> {
    const { batchSize: b, numSteps: t } = this.config;
    if (this.active < b * t * 2 + t + 1) {
      throw new InvalidArgumentError({ fn: `${FN}.trainEpoch`, argument: 'corpus', expected: `at least ${b * t * 2 + t + 1} tokens`, received: this.active });
    }
    this.sampler ??= sequentialBatches(this.ids.subarray(0, this.active), { batchSize: b, numSteps: t, random: this.random.fork() });
    const batches = Math.min(this.batchesPerEpoch, options.maxBatches ?? Infinity);
    const started = now();
    let done = 0;
    let stopped = false;
    this.onStep = (info) => {
      done++;
      const seconds = (now() - started) / 1000;
      options.onBatch?.({ batch: done, batches, loss: info.loss, tokensPerSecond: (done * b * t) / Math.max(seconds, 1e-9) });
      if (options.maxSeconds !== undefined && seconds >= options.maxSeconds) stopped = true;
    };
    const sampler = this.sampler;
    const yieldEvery = options.yieldEvery;
    async function* source(): AsyncGenerator<Batch> {
      let k = 0;
      for (const batch of sampler.epoch()) {
        if (k++ >= batches || stopped || options.signal?.aborted) return;
        yield batch;
        if (yieldEvery) await yieldEvery();
      }
    }
    try {
      // The session never interrupts its trainer (it stops its source instead): the pass ends.
      const stats = (await this.trainer.trainEpoch(source(), this.epochIndex + 1))!;
      const seconds = (now() - started) / 1000;
      const result: EpochStats = {
        epoch: ++this.epochIndex,
        loss: stats.loss,
        perplexity: stats.perplexity,
        tokens: stats.tokens,
        seconds,
        tokensPerSecond: stats.tokens / Math.max(seconds, 1e-9),
        batches: done,
      };
      this.history.push(result);
      return result;
    } finally {
      this.onStep = undefined;
      this.model.eval();
    }
  }

  /** Warms up on `prefix`, then samples `tokens` tokens (temperature, optional top-k); returns prefix + continuation. */
  async generate(prefix: string, options: GenerateOptions): Promise<string> {
    this.model.eval();
    const result = await this.generator.generate(prefix, {
      strategy: 'sample',
      maxTokens: options.tokens,
      temperature: options.temperature,
      ...(options.topK !== undefined ? { topK: options.topK } : {}),
      random: new Random(options.seed ?? 0),
    });
    return result.text;
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

