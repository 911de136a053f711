import { InvalidArgumentError, checkIds, checkInt } from '@recurrent/core';

/** What a stopping criterion sees after each generated token of one sequence. */
export interface StoppingContext {
  /** Prefix and generated ids. */
  readonly ids: readonly number[];
  /** How many tokens have been generated so far (>= 1). */
  readonly numGenerated: number;
  /** The id generated last. */
  readonly lastId: number;
  /** The generated text so far (joined by the tokenizer), computed on demand. */
  generatedText(): string;
}

/** Returns true when the sequence is finished. */
export type StoppingCriterion = (ctx: StoppingContext) => boolean;

/** True when any criterion says stop. */
export function shouldStop(criteria: readonly StoppingCriterion[], ctx: StoppingContext): boolean {
  return criteria.some((c) => c(ctx));
}

/** Stops after `n` generated tokens. */
export function maxTokensCriterion(n: number): StoppingCriterion {
  checkInt('maxTokensCriterion', 'maxTokens', n, 1);
  return (ctx) => ctx.numGenerated >= n;
}

/** Stops once one of these ids is generated (it is kept in the output). */
export function stopTokensCriterion(ids: readonly number[]): StoppingCriterion {
  const set = new Set(checkIds('stopTokensCriterion', 'ids', ids));
  return (ctx) => set.has(ctx.lastId);
}

/** Stops once the generated text contains one of these strings (kept in the output). */
export function stopStringsCriterion(strings: readonly string[]): StoppingCriterion {
  if (!Array.isArray(strings)) throw new InvalidArgumentError({ fn: 'stopStringsCriterion', argument: 'strings', expected: 'an array of strings', received: strings });
  strings.forEach((s, i) => {
    if (typeof s !== 'string') throw new InvalidArgumentError({ fn: 'stopStringsCriterion', argument: `strings[${i}]`, expected: 'a string', received: s });
  });
  // An empty string would stop at once: it is ignored.
  const wanted = strings.filter((s) => s.length > 0);
  return (ctx) => {
    if (wanted.length === 0) return false;
    const text = ctx.generatedText();
    return wanted.some((s) => text.includes(s));
  };
}
