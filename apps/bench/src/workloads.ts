// The benchmark workloads of ARCHITECTURE.md (Benchmarks) and their FLOP counts.

export type Cell = 'lstm' | 'gru' | 'rnn';

export interface TrainSpec {
  kind: 'train';
  name: string;
  cell: Cell;
  vocab: number;
  input: 'one-hot' | 'embedding';
  embeddingDim: number | null;
  hidden: number;
  layers: number;
  batch: number;
  steps: number;
  lr: number;
  clip: number;
}

export interface GenerateSpec {
  kind: 'generate';
  name: string;
  cell: Cell;
  vocab: number;
  hidden: number;
  prefix: number;
  tokens: number;
}

export type Spec = TrainSpec | GenerateSpec;

const gates: Record<Cell, number> = { lstm: 4, gru: 3, rnn: 1 };

export function charLm(cell: Cell): TrainSpec {
  return { kind: 'train', name: `d2l-char-${cell}-train`, cell, vocab: 28, input: 'one-hot', embeddingDim: null, hidden: 256, layers: 1, batch: 32, steps: 35, lr: 1, clip: 1 };
}

export const generation: GenerateSpec = { kind: 'generate', name: 'generate-lstm-greedy', cell: 'lstm', vocab: 28, hidden: 256, prefix: 10, tokens: 500 };

export const wordLm: TrainSpec = {
  kind: 'train',
  name: 'word-lm-lstm2x512-train',
  cell: 'lstm',
  vocab: 5000,
  input: 'embedding',
  embeddingDim: 128,
  hidden: 512,
  layers: 2,
  batch: 64,
  steps: 35,
  lr: 1,
  clip: 1,
};

export const allSpecs: Spec[] = [charLm('lstm'), charLm('gru'), charLm('rnn'), generation, wordLm];

/**
 * Forward FLOPs per token (multiply-adds count 2) of the recurrent layers and the head, as
 * Recurrent computes them: a one-hot input's projection is a row lookup, not a product, so it
 * counts nothing (`withOneHotProduct` counts it, as the tfjs-layers baseline multiplies it).
 */
export function forwardFlopsPerToken(s: Spec, withOneHotProduct = false): number {
  const G = gates[s.cell];
  const H = s.hidden;
  const layers = s.kind === 'train' ? s.layers : 1;
  const oneHot = s.kind === 'generate' || s.input === 'one-hot';
  const first = s.kind === 'train' && s.embeddingDim !== null ? s.embeddingDim : oneHot && !withOneHotProduct ? 0 : s.vocab;
  let f = 0;
  for (let l = 0; l < layers; l++) f += 2 * G * H * ((l === 0 ? first : H) + H);
  return f + 2 * H * s.vocab;
}

/**
 * FLOPs per token of the work done: training counts forward + backward as 3 × forward (the
 * backward pass's two products per forward one). A one-hot input has no input gradient, and its
 * weight gradient is rows added up by id: neither is counted.
 */
export function flopsPerToken(s: Spec, withOneHotProduct = false): number {
  return s.kind === 'train' ? 3 * forwardFlopsPerToken(s, withOneHotProduct) : forwardFlopsPerToken(s, withOneHotProduct);
}

/** Tokens one timed run processes. */
export function tokensPerRun(s: Spec): number {
  return s.kind === 'train' ? s.batch * s.steps : s.tokens;
}

/** Seeded token ids in [0, vocab). */
export function randomIds(n: number, vocab: number, seed: number): Int32Array {
  let x = seed >>> 0 || 1;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % vocab;
  }
  return out;
}

/** One benchmark subject: `run()` processes `tokensPerRun(spec)` tokens. */
export interface Runner {
  run(): void | Promise<void>;
  dispose(): void;
}
