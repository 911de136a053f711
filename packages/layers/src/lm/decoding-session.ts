import { checkTokenRange, InvalidArgumentError, tf } from '@recurrent/core';
import type { RecurrentState } from '../rnn/state';
import type { LanguageModel } from './language-model';

/**
 * Token-by-token decoding without tensors, for generation with a model in eval mode: the
 * recurrent state lives in plain arrays between steps, each step runs the fused layer steps
 * (core's WebAssembly SIMD kernel where available) and the head, and the logits come back as a
 * Float32Array. Made by `LanguageModel.openSession`; `dispose` it when done. Uses the model's
 * current weights at every step (re-packed after they change).
 */
export class DecodingSession {
  /** Rows decoded together (B). */
  readonly batchSize: number;
  private readonly model: LanguageModel;
  private readonly h: Float32Array; // [L, B, H]
  private readonly c: Float32Array | null;
  private readonly logits: Float32Array; // [B, V]
  private readonly x: Float32Array | null; // [B, E] for an embedding input
  private disposed = false;

  /** @internal Use `LanguageModel.openSession`. h (and c) [L, B, H] values, already checked. */
  constructor(model: LanguageModel, h: Float32Array, c: Float32Array | null, batchSize: number) {
    this.model = model;
    this.batchSize = batchSize;
    this.h = h;
    this.c = c;
    this.logits = new Float32Array(batchSize * model.config.vocabSize);
    this.x =
      model.config.embeddingDim !== null
        ? new Float32Array(batchSize * model.config.embeddingDim)
        : null;
  }

  /**
   * Feeds one token id per row (B integers in [0, vocabSize)) and returns the next-token logits
   * [B, V] row-major. The array is the session's own: the next `step` overwrites it.
   */
  step(ids: ArrayLike<number>): Float32Array {
    const fn = 'DecodingSession.step';
    if (this.disposed)
      throw new InvalidArgumentError({
        fn,
        argument: 'session',
        expected: 'an open session',
        received: 'a disposed session',
      });
    const B = this.batchSize;
    const V = this.model.config.vocabSize;
    if (!ids || ids.length !== B)
      throw new InvalidArgumentError({
        fn,
        argument: 'ids',
        expected: `${B} token ids (one per row)`,
        received: ids?.length ?? ids,
      });
    checkTokenRange(fn, 'ids', ids, B, V);
    const input = this.model.stepInput(ids, B, this.x ?? undefined);
    const top = this.model.rnn.stepArrays(input, this.h, this.c, B); // [B, H]
    return this.model.linear.forwardValues(top, B, this.logits); // [B, V]
  }

  /** The current state as tensors h (and c) [L, B, H]; the caller disposes them. */
  state(): RecurrentState {
    const shape = this.model.rnn.stateShape(this.batchSize);
    const h = tf.tensor(this.h, shape, 'float32');
    return this.c ? { h, c: tf.tensor(this.c, shape, 'float32') } : { h };
  }

  /** Ends the session (its arrays are dropped; nothing else to free). */
  dispose(): void {
    this.disposed = true;
  }
}
