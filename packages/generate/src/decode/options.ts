import { InvalidArgumentError, Random, checkInt, checkNumber, checkOneOf, getRandom } from '@recurrent/core';
import {
  repetitionPenaltyProcessor,
  temperatureProcessor,
  topKProcessor,
  topPProcessor,
  type LogitsProcessor,
} from '../processors/logits-processor';
import type { StoppingCriterion } from '../stopping/stopping-criteria';
import type { Streamer } from '../streaming/streamer';

export type Strategy = 'greedy' | 'sample' | 'beam';

/** Options of `Generator.generate` / `stream` / `generateBatch`. */
export interface GenerateOptions {
  /** Tokens to generate after the prefix (default 50). */
  maxTokens?: number;
  /** Default: `beam` when `beamWidth` > 1, `sample` when a temperature/top-k/top-p is given, else `greedy`. */
  strategy?: Strategy;
  /** > 0; divides the logits before sampling. */
  temperature?: number;
  /** >= 1; sample only among the k most likely tokens. */
  topK?: number;
  /** In (0, 1]; sample only among the smallest set of tokens reaching this probability. */
  topP?: number;
  /** > 0; CTRL's penalty on ids already in the sequence (1 = none). */
  repetitionPenalty?: number;
  /** Beam search width (>= 1; default 4 for `beam`). */
  beamWidth?: number;
  /** Beam search: scores are summed log-probabilities divided by length^lengthPenalty (default 1). */
  lengthPenalty?: number;
  /** Seed for sampling (same seed, same text), or a `Random` to draw from. Default: the global source. */
  seed?: number;
  random?: Random;
  /** Tokens (as text) whose generation ends a sequence; they are kept in the output. */
  stopTokens?: string[];
  /** Texts whose appearance in the generated text ends a sequence. */
  stopStrings?: string[];
  /** Extra logits processors, run after the built-in ones. */
  processors?: LogitsProcessor[];
  /** Extra stopping criteria. */
  stoppingCriteria?: StoppingCriterion[];
  /** Receives each generated token's text as it is produced. */
  streamer?: Streamer;
  /** Called with each generated token's text (the callback form of streaming). */
  onToken?: (text: string, info: { row: number; id: number; token: string }) => void;
  /** Cancels generation: checked before every step. */
  signal?: AbortSignal;
  /** Prefix tokens not in the vocabulary: map to its unk token (default) or throw a VocabError. */
  unknown?: 'unk' | 'error';
  /** Apply the checkpoint's preprocessing (e.g. d2l's lower-casing) to the prefix (default false: as predict_ch8). */
  preprocessPrefix?: boolean;
}

export interface ResolvedOptions {
  maxTokens: number;
  strategy: Strategy;
  processors: LogitsProcessor[];
  beamWidth: number;
  lengthPenalty: number;
  random: Random;
  stopTokens: string[];
  stopStrings: string[];
  stoppingCriteria: StoppingCriterion[];
  streamer: Streamer | undefined;
  onToken: GenerateOptions['onToken'];
  signal: AbortSignal | undefined;
  unknown: 'unk' | 'error';
  preprocessPrefix: boolean;
}

/** Validates every option (typed errors) before any tensor work. */
export function resolveOptions(fn: string, o: GenerateOptions = {}): ResolvedOptions {
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError({ fn, argument: 'options', expected: 'an object', received: o });
  const maxTokens = checkInt(fn, 'maxTokens', o.maxTokens ?? 50, 0);
  if (o.temperature !== undefined) checkNumber(fn, 'temperature', o.temperature, { min: 0, minExclusive: true });
  if (o.topK !== undefined) checkInt(fn, 'topK', o.topK, 1);
  if (o.topP !== undefined) checkNumber(fn, 'topP', o.topP, { min: 0, max: 1, minExclusive: true });
  if (o.repetitionPenalty !== undefined) checkNumber(fn, 'repetitionPenalty', o.repetitionPenalty, { min: 0, minExclusive: true });
  if (o.beamWidth !== undefined) checkInt(fn, 'beamWidth', o.beamWidth, 1);
  if (o.lengthPenalty !== undefined) checkNumber(fn, 'lengthPenalty', o.lengthPenalty);
  if (o.seed !== undefined) checkInt(fn, 'seed', o.seed, 0);
  const sampling = o.temperature !== undefined || o.topK !== undefined || o.topP !== undefined;
  const strategy =
    o.strategy === undefined
      ? (o.beamWidth ?? 1) > 1
        ? 'beam'
        : sampling
          ? 'sample'
          : 'greedy'
      : checkOneOf(fn, 'strategy', o.strategy, ['greedy', 'sample', 'beam'] as const);
  for (const key of ['stopTokens', 'stopStrings'] as const) {
    const v = o[key];
    if (v !== undefined && (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))) {
      throw new InvalidArgumentError({ fn, argument: key, expected: 'an array of strings', received: v });
    }
  }
  if (o.unknown !== undefined) checkOneOf(fn, 'unknown', o.unknown, ['unk', 'error'] as const);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new InvalidArgumentError({ fn, argument: 'signal', expected: 'an AbortSignal', received: o.signal });
  }

  // HF order: penalties on raw logits, then the warpers (temperature, top-k, top-p).
  const processors: LogitsProcessor[] = [];
  if (o.repetitionPenalty !== undefined && o.repetitionPenalty !== 1) processors.push(repetitionPenaltyProcessor(o.repetitionPenalty));
  if (strategy === 'sample') {
    if (o.temperature !== undefined) processors.push(temperatureProcessor(o.temperature));
    if (o.topK !== undefined) processors.push(topKProcessor(o.topK));
    if (o.topP !== undefined) processors.push(topPProcessor(o.topP));
  }
  processors.push(...(o.processors ?? []));

  return {
    maxTokens,
    strategy,
    processors,
    beamWidth: o.beamWidth ?? (strategy === 'beam' ? 4 : 1),
    lengthPenalty: o.lengthPenalty ?? 1,
    random: o.random ?? (o.seed !== undefined ? new Random(o.seed) : getRandom()),
    stopTokens: o.stopTokens ?? [],
    stopStrings: o.stopStrings ?? [],
    stoppingCriteria: o.stoppingCriteria ?? [],
    streamer: o.streamer,
    onToken: o.onToken,
    signal: o.signal,
    unknown: o.unknown ?? 'unk',
    preprocessPrefix: o.preprocessPrefix ?? false,
  };
}
