import { InvalidArgumentError, checkInt, checkNumber } from '@recurrent/core';
import { applyLogitsProcessors, logSoftmax64, type LogitsProcessor } from '../processors/logits-processor';
import type { StoppingContext } from '../stopping/stopping-criteria';
import { disposeModelState, gatherState, stepOnce, warmUp, type GenerationModel } from './model';

export interface BeamSearchOptions {
  beamWidth: number;
  lengthPenalty: number;
  maxTokens: number;
  processors: readonly LogitsProcessor[];
  /** Whether a hypothesis whose last token was just generated is finished. */
  isFinished: (ctx: StoppingContext) => boolean;
  /** Awaited before every step (abort checks, yielding to the event loop). */
  beforeStep: (numGenerated: number) => Promise<void>;
  /** Text of generated ids, for stop strings. */
  textOf: (ids: readonly number[]) => string;
}

export interface BeamHypothesis {
  ids: number[];
  /** Sum of log-probabilities divided by length^lengthPenalty. */
  score: number;
  finished: boolean;
}

interface Beam {
  ids: number[];
  logProb: number;
}

/**
 * Beam search after a warm-up on the prefix. Each step runs the live beams as one batch, extends
 * every beam by every token, and keeps the `beamWidth` best by summed log-probability; a
 * hypothesis that meets a stopping criterion is set aside with its length-normalised score.
 * Search ends after `maxTokens` steps or once `beamWidth` hypotheses are finished. With width 1
 * and no processors this is greedy decoding.
 */
export async function beamSearch(model: GenerationModel, prefixIds: readonly number[], o: BeamSearchOptions): Promise<BeamHypothesis> {
  const fn = 'beamSearch';
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError({ fn, argument: 'options', expected: 'an object', received: o });
  checkInt(fn, 'beamWidth', o.beamWidth, 1);
  checkInt(fn, 'maxTokens', o.maxTokens, 0);
  checkNumber(fn, 'lengthPenalty', o.lengthPenalty);
  if (!Array.isArray(o.processors)) throw new InvalidArgumentError({ fn, argument: 'processors', expected: 'an array of logits processors', received: o.processors });
  for (const key of ['isFinished', 'beforeStep', 'textOf'] as const) {
    if (typeof o[key] !== 'function') throw new InvalidArgumentError({ fn, argument: key, expected: 'a function', received: o[key] });
  }
  const V = model.config.vocabSize;
  const norm = (logProb: number, len: number) => logProb / Math.pow(Math.max(len, 1), o.lengthPenalty);
  let state = warmUp(model, prefixIds);
  let beams: Beam[] = [{ ids: [], logProb: 0 }];
  const finished: BeamHypothesis[] = [];
  try {
    for (let step = 0; step < o.maxTokens && beams.length > 0 && finished.length < o.beamWidth; step++) {
      await o.beforeStep(step);
      const last = beams.map((b) => (b.ids.length > 0 ? b.ids[b.ids.length - 1]! : prefixIds[prefixIds.length - 1]!));
      const out = stepOnce(model, last, state);
      state = out.state;
      const candidates: { beam: number; id: number; logProb: number }[] = [];
      beams.forEach((b, bi) => {
        const row = applyLogitsProcessors(o.processors, [...prefixIds, ...b.ids], out.logits.slice(bi * V, (bi + 1) * V));
        const lp = logSoftmax64(row);
        for (let v = 0; v < V; v++) if (Number.isFinite(lp[v]!)) candidates.push({ beam: bi, id: v, logProb: b.logProb + lp[v]! });
      });
      candidates.sort((a, b) => b.logProb - a.logProb || a.beam - b.beam || a.id - b.id);
      const next: Beam[] = [];
      const rows: number[] = [];
      for (const c of candidates.slice(0, 2 * o.beamWidth)) {
        const ids = [...beams[c.beam]!.ids, c.id];
        const all = [...prefixIds, ...ids];
        const done =
          step + 1 >= o.maxTokens
            ? false
            : o.isFinished({ ids: all, numGenerated: ids.length, lastId: c.id, generatedText: () => o.textOf(ids) });
        if (done) {
          if (finished.length < o.beamWidth) finished.push({ ids, score: norm(c.logProb, ids.length), finished: true });
        } else {
          next.push({ ids, logProb: c.logProb });
          rows.push(c.beam);
        }
        if (next.length === o.beamWidth) break;
      }
      const gathered = gatherState(state, rows.length > 0 ? rows : [0]);
      disposeModelState(state);
      state = gathered;
      beams = next;
    }
  } finally {
    disposeModelState(state);
  }
  const all = [...finished, ...beams.map((b) => ({ ids: b.ids, score: norm(b.logProb, b.ids.length), finished: false }))];
  all.sort((a, b) => b.score - a.score);
  return all[0] ?? { ids: [], score: 0, finished: false };
}
