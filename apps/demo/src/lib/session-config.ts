// Plain data shared by the CLI, the web page and its worker (no tensors: the page imports it).

/** Tokenization of a session's corpus (the checkpoint format's `tokenizer` object). */
export interface TokenizerSpec {
  level: 'char' | 'word' | 'jieba';
  preprocess: 'd2l' | 'none';
}

/** Everything a training session needs besides the text. Shared by the CLI demo and the web page. */
export interface SessionConfig {
  cell: 'lstm' | 'gru' | 'rnn';
  hiddenSize: number;
  numLayers: number;
  /** `null`: one-hot input; a number: an embedding of that width. */
  embeddingDim: number | null;
  batchSize: number;
  numSteps: number;
  lr: number;
  clip: number;
  seed: number;
  tokenizer: TokenizerSpec;
}

export const DEFAULT_SESSION: SessionConfig = {
  cell: 'lstm',
  hiddenSize: 256,
  numLayers: 1,
  embeddingDim: null,
  batchSize: 32,
  numSteps: 35,
  lr: 0.005,
  clip: 1,
  seed: 0,
  tokenizer: { level: 'char', preprocess: 'none' },
};

/** Figures of one epoch (or part of one). */
export interface EpochStats {
  epoch: number;
  /** Mean cross-entropy per token (nats). */
  loss: number;
  perplexity: number;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  batches: number;
}

export interface BatchProgress {
  batch: number;
  batches: number;
  loss: number;
  tokensPerSecond: number;
}

