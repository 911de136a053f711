import { InvalidArgumentError, VocabError, checkIds, checkNotDisposed, tf, type Tensor } from '@recurrent/core';
import type { RecurrentState } from '@recurrent/layers';

/**
 * Tensor-free decoding from a state (`DecodingSession` from @recurrent/layers fits): `step`
 * takes one id per row and returns the logits [B, V] row-major (the array may be reused by the
 * next step).
 */
export interface GenerationSession {
  step(ids: readonly number[]): Float32Array;
  /** The current state as tensors (the caller disposes them). */
  state(): RecurrentState;
  dispose(): void;
}

/**
 * What generation needs from a language model (`LanguageModel` from @recurrent/layers fits).
 * `forward` and `step` return a new state and leave the given one to the caller. A model may
 * also offer `openSession` (copying the state; null when it cannot, e.g. in training mode):
 * greedy and sampled decoding then run without tensors.
 */
export interface GenerationModel {
  readonly config: { readonly vocabSize: number };
  beginState(batchSize: number): RecurrentState;
  forward(ids: Tensor /* int32 [B, T] */, state?: RecurrentState): { logits: Tensor /* [B, T, V] */; state: RecurrentState };
  step(ids: Tensor /* int32 [B] */, state: RecurrentState): { logits: Tensor /* [B, V] */; state: RecurrentState };
  openSession?(state: RecurrentState): GenerationSession | null;
}

/**
 * Token ids against the model's vocabulary, arrays and typed arrays alike: a `VocabError` naming
 * the first id outside it (the error the model's own check raises), before any tensor is made.
 */
function checkVocabIds(fn: string, argument: string, ids: unknown, size: unknown): void {
  if (typeof size !== 'number') {
    throw new InvalidArgumentError({ fn, argument: 'model', expected: 'a language model with config.vocabSize', received: size });
  }
  checkIds(fn, argument, ids, size, VocabError);
}

/** Disposes `old`'s tensors that `next` does not reuse. */
export function replaceState(old: RecurrentState, next: RecurrentState): RecurrentState {
  if (old.h !== next.h && old.h !== next.c) old.h.dispose();
  if (old.c && old.c !== next.c && old.c !== next.h) old.c.dispose();
  return next;
}

export function disposeModelState(s: RecurrentState): void {
  s.h.dispose();
  s.c?.dispose();
}

/**
 * Runs the prefix through the model, as d2l's `predict_ch8`: the state starts at zero and is
 * carried through every prefix token but the last (whose step produces the first new token).
 * Returns the state for batch 1; the caller owns it.
 */
export function warmUp(model: GenerationModel, prefixIds: readonly number[]): RecurrentState {
  checkVocabIds('warmUp', 'prefixIds', prefixIds, model?.config?.vocabSize);
  if (prefixIds.length === 0) throw new InvalidArgumentError({ fn: 'warmUp', argument: 'prefixIds', expected: 'at least one token id', received: 'an empty array' });
  let state = model.beginState(1);
  if (prefixIds.length > 1) {
    const ids = tf.tensor2d(prefixIds.slice(0, -1), [1, prefixIds.length - 1], 'int32'); // [1, m-1]
    try {
      const { logits, state: next } = model.forward(ids, state);
      logits.dispose();
      state = replaceState(state, next);
    } catch (error) {
      disposeModelState(state); // a refusal frees what this call made
      throw error;
    } finally {
      ids.dispose();
    }
  }
  return state;
}

/** Stacks batch-1 states into one batch (along the batch axis 1 of [L, B, H]); disposes the parts. */
export function concatStates(states: RecurrentState[]): RecurrentState {
  if (states.length === 1) return states[0]!;
  const h = tf.concat(states.map((s) => s.h), 1); // [L, B, H]
  const c = states[0]!.c ? tf.concat(states.map((s) => s.c as Tensor), 1) : undefined;
  for (const s of states) disposeModelState(s);
  return c ? { h, c } : { h };
}

/** Picks rows (batch entries) of a state, e.g. the surviving beams; disposes nothing. */
export function gatherState(state: RecurrentState, rows: readonly number[]): RecurrentState {
  return tf.tidy(() => {
    const idx = tf.tensor1d(rows as number[], 'int32');
    const h = tf.gather(state.h, idx, 1); // [L, B', H]
    const c = state.c ? tf.gather(state.c, idx, 1) : undefined;
    return c ? { h, c } : { h };
  });
}

/**
 * One decoding step for a batch: feeds `lastIds` [B], returns the logits as one Float32Array
 * (row-major [B, V]) and the new state (the old one is disposed).
 */
export function stepOnce(model: GenerationModel, lastIds: readonly number[], state: RecurrentState): { logits: Float32Array; state: RecurrentState } {
  // Checked before any tensor exists: ids in the vocabulary, one per row of a live state.
  checkVocabIds('stepOnce', 'lastIds', lastIds, model?.config?.vocabSize);
  if (!state || !state.h) throw new InvalidArgumentError({ fn: 'stepOnce', argument: 'state', expected: 'a state (from warmUp or beginState)', received: state });
  checkNotDisposed('stepOnce', 'state.h', state.h);
  if (state.c) checkNotDisposed('stepOnce', 'state.c', state.c);
  const ids = tf.tensor1d(lastIds as number[], 'int32'); // [B]
  let out: { logits: Tensor; state: RecurrentState };
  try {
    out = model.step(ids, state);
  } finally {
    ids.dispose();
  }
  const logits = out.logits.dataSync() as Float32Array; // [B * V]
  out.logits.dispose();
  return { logits: logits.slice(), state: replaceState(state, out.state) };
}

/**
 * The tensor-step path behind the session interface (models without `openSession`, or in
 * training mode): `stepOnce` per call on a state it owns from here on.
 */
export function tensorSession(model: GenerationModel, state: RecurrentState): GenerationSession {
  return {
    step(ids) {
      const out = stepOnce(model, ids, state);
      state = out.state;
      return out.logits;
    },
    state: () => (state.c ? { h: state.h.clone(), c: state.c.clone() } : { h: state.h.clone() }),
    dispose: () => disposeModelState(state),
  };
}

/**
 * A decoding session warmed up on each prefix (as `warmUp`, but through the session's own
 * steps: no sequence op, no tensors for batch 1); null when the model offers no session (or
 * declines, e.g. in training mode). Prefixes of several rows are warmed one by one and joined.
 */
export function warmSession(model: GenerationModel, prefixes: readonly (readonly number[])[]): GenerationSession | null {
  if (typeof model.openSession !== 'function') return null;
  const openWarm = (prefix: readonly number[]): GenerationSession | null => {
    const zero = model.beginState(1);
    let session: GenerationSession | null;
    try {
      session = model.openSession!(zero);
    } finally {
      disposeModelState(zero);
    }
    for (let i = 0; session && i + 1 < prefix.length; i++) session.step([prefix[i]!]);
    return session;
  };
  if (prefixes.length === 1) return openWarm(prefixes[0]!);
  const states: RecurrentState[] = [];
  for (const prefix of prefixes) {
    const session = openWarm(prefix);
    if (!session) {
      for (const s of states) disposeModelState(s);
      return null;
    }
    states.push(session.state());
    session.dispose();
  }
  const state = concatStates(states);
  try {
    return model.openSession(state);
  } finally {
    disposeModelState(state);
  }
}
