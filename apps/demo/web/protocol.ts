import type { BatchProgress, EpochStats, SessionConfig } from '../src/lib/session-config';

/** Messages from the page to the training worker. */
export type ToWorker =
  | { type: 'init'; /** Threads for our kernels (the page's `?threads=` parameter); default: every core. */ threads?: number }
  | { type: 'train'; text: string; config: SessionConfig; epochs: number }
  | { type: 'stop' }
  | { type: 'generate'; prefix: string; tokens: number; temperature: number; topK?: number; seed: number }
  | { type: 'save' }
  | { type: 'load'; config: string; weights: Uint8Array };

/** Messages from the worker to the page. */
export type FromWorker =
  | { type: 'ready'; backend: string; simd: boolean; threads: number; isolated: boolean; fallback: string | null; threadsFallback: string | null }
  | { type: 'prepared'; tokens: number; vocabSize: number; batchesPerEpoch: number }
  | { type: 'batch'; epoch: number; progress: BatchProgress }
  | { type: 'epoch'; stats: EpochStats; epochs: number }
  | { type: 'done'; stopped: boolean }
  | { type: 'generated'; prefix: string; text: string }
  | { type: 'checkpoint'; config: string; weights: Uint8Array }
  | { type: 'loaded'; description: string }
  | { type: 'error'; message: string };

/** What the page publishes as `window.recurrentDemo` for the browser test (and curious users). */
export interface DemoState {
  backend?: { backend: string; simd: boolean; threads: number; isolated: boolean; fallback: string | null; threadsFallback: string | null };
  epochs: { epoch: number; loss: number; perplexity: number; tokensPerSecond: number }[];
  training: boolean;
  generated: string[];
  errors: string[];
  /** Workers that crashed (each replaced by a fresh one). */
  crashes: number;
}
