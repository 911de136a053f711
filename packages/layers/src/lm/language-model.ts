import {
  checkInt,
  checkNumber,
  checkOneOf,
  checkTensor,
  getRandom,
  InvalidArgumentError,
  ShapeError,
  tf,
  type Random,
  type StepValuesInput,
  type Tensor,
} from '@recurrent/core';
import { checkTokenIds } from '../embedding/check-ids';
import { Embedding } from '../embedding/embedding';
import { oneHot } from '../embedding/one-hot';
import { Linear } from '../linear/linear';
import { Module } from '../module/module';
import { GRU } from '../rnn/gru';
import { LSTM } from '../rnn/lstm';
import { RNN } from '../rnn/rnn';
import { DerivedCache } from '../rnn/derived-cache';
import type { RNNBase, RNNImplementation } from '../rnn/rnn-base';
import type { RecurrentState } from '../rnn/state';
import { DecodingSession } from './decoding-session';

/** What a `LanguageModel` is made of. */
export interface LanguageModelConfig {
  cell: 'lstm' | 'gru' | 'rnn';
  /** For `cell: 'rnn'` (default 'tanh'). */
  nonlinearity?: 'tanh' | 'relu';
  /** Token ids enter as one-hot vectors of size vocabSize (d2l) or through an `Embedding`. */
  input: 'one-hot' | 'embedding';
  /** The embedding size for `input: 'embedding'` (default: hiddenSize); null for one-hot. */
  embeddingDim?: number | null;
  vocabSize: number;
  hiddenSize: number;
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Dropout between recurrent layers in training (default 0). */
  dropout?: number;
  /** Source of the initial values and dropout masks (default: the global `getRandom()`). */
  random?: Random;
  /** How the recurrent layer runs sequences (default 'fused'). */
  implementation?: RNNImplementation;
}

/** The config with every default filled in (what a checkpoint records). */
export interface ResolvedLanguageModelConfig {
  cell: 'lstm' | 'gru' | 'rnn';
  nonlinearity: 'tanh' | 'relu';
  input: 'one-hot' | 'embedding';
  embeddingDim: number | null;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  dropout: number;
}

/**
 * A recurrent language model, as d2l's `RNNModel`: token ids -> one-hot or `Embedding` ->
 * `RNN`/`LSTM`/`GRU` -> `Linear` head over the vocabulary. State-dict names:
 * `embedding.weight` (embedding input only), `rnn.weight_ih_l0`, …, `linear.weight`, `linear.bias`.
 */
export class LanguageModel extends Module {
  readonly config: Readonly<ResolvedLanguageModelConfig>;
  readonly embedding: Embedding | null;
  readonly rnn: RNNBase;
  readonly linear: Linear;
  /** The embedding table as values for decoding sessions (re-read when the weight changes). */
  private readonly embeddingTable = new DerivedCache<Float32Array>(
    () => this.embedding!.weight.value.dataSync().slice() as Float32Array,
    () => {},
  );

  constructor(config: LanguageModelConfig) {
    super();
    const fn = 'LanguageModel';
    if (config === null || typeof config !== 'object')
      throw new InvalidArgumentError({
        fn,
        argument: 'config',
        expected: 'an object',
        received: config,
      });
    const cell = checkOneOf(fn, 'config.cell', config.cell, ['lstm', 'gru', 'rnn'] as const);
    const input = checkOneOf(fn, 'config.input', config.input, ['one-hot', 'embedding'] as const);
    const nonlinearity = checkOneOf(fn, 'config.nonlinearity', config.nonlinearity ?? 'tanh', [
      'tanh',
      'relu',
    ] as const);
    const vocabSize = checkInt(fn, 'config.vocabSize', config.vocabSize);
    const hiddenSize = checkInt(fn, 'config.hiddenSize', config.hiddenSize);
    const numLayers = checkInt(fn, 'config.numLayers', config.numLayers ?? 1);
    const dropout = checkNumber(fn, 'config.dropout', config.dropout ?? 0, { min: 0, max: 1 });
    const embeddingDim =
      input === 'embedding'
        ? checkInt(fn, 'config.embeddingDim', config.embeddingDim ?? hiddenSize)
        : null;
    this.config = Object.freeze({
      cell,
      nonlinearity,
      input,
      embeddingDim,
      vocabSize,
      hiddenSize,
      numLayers,
      dropout,
    });

    const random = config.random ?? getRandom();
    this.embedding =
      embeddingDim !== null
        ? this.registerModule('embedding', new Embedding(vocabSize, embeddingDim, { random }))
        : null;
    const inputSize = embeddingDim ?? vocabSize;
    const options = {
      numLayers,
      dropout,
      random,
      ...(config.implementation ? { implementation: config.implementation } : {}),
    };
    const rnn =
      cell === 'lstm'
        ? new LSTM(inputSize, hiddenSize, options)
        : cell === 'gru'
          ? new GRU(inputSize, hiddenSize, options)
          : new RNN(inputSize, hiddenSize, { ...options, nonlinearity });
    this.rnn = this.registerModule('rnn', rnn);
    this.linear = this.registerModule('linear', new Linear(hiddenSize, vocabSize, { random }));
  }

  /** A zero state for `batchSize` rows: h (and c for LSTM) [numLayers, B, H]. The caller disposes it. */
  beginState(batchSize: number): RecurrentState {
    checkInt('LanguageModel.beginState', 'batchSize', batchSize);
    return this.rnn.zeroState(batchSize);
  }

  /** The input vectors of ids [...] -> [..., E or V]. */
  private embed(ids: Tensor): Tensor {
    return this.embedding ? this.embedding.forward(ids) : oneHot(ids, this.config.vocabSize);
  }

  /**
   * ids int32 [B, T] and a state ([L, B, H], zeros when absent) -> logits [B, T, V] and the
   * final state. The caller disposes both (the given state is left alone).
   */
  forward(ids: Tensor, state?: RecurrentState): { logits: Tensor; state: RecurrentState } {
    const fn = 'LanguageModel.forward';
    if (!ids || !Array.isArray(ids.shape) || ids.shape.length !== 2) {
      throw new ShapeError({
        fn,
        argument: 'ids',
        expected: 'an int32 tensor of shape [B, T]',
        received: ids?.shape ? [...ids.shape] : ids,
      });
    }
    checkTokenIds(fn, 'ids', ids, this.config.vocabSize);
    if (state !== undefined) checkStateGiven(fn, state);
    const r = tf.tidy(() => {
      // One-hot input goes in as ids: the recurrent layer looks rows of wIhᵀ up (no one-hot matmul).
      const { output, state: s } = this.embedding
        ? this.rnn.forwardState(this.embedding.forward(tf.transpose(ids)), state) // output [T, B, H]
        : this.rnn.forwardOneHot(tf.transpose(ids), state); // output [T, B, H]
      // Transpose whichever of hidden output and logits is smaller back to batch-first.
      const logits =
        this.config.vocabSize <= this.config.hiddenSize
          ? tf.transpose(this.linear.forward(output), [1, 0, 2]) // [B, T, V]
          : this.linear.forward(tf.transpose(output, [1, 0, 2])); // [B, T, V]
      return s.c ? { logits, h: s.h, c: s.c } : { logits, h: s.h };
    });
    return { logits: r.logits, state: r.c ? { h: r.h, c: r.c } : { h: r.h } };
  }

  /**
   * One step for generation: ids int32 [B] and the state [L, B, H] -> logits [B, V] and the new
   * state. The caller disposes both (the given state is left alone). In eval mode the recurrence
   * runs fused steps without gradient (call `train()` to differentiate through `step`).
   */
  step(ids: Tensor, state: RecurrentState): { logits: Tensor; state: RecurrentState } {
    const fn = 'LanguageModel.step';
    if (!ids || !Array.isArray(ids.shape) || ids.shape.length !== 1) {
      throw new ShapeError({
        fn,
        argument: 'ids',
        expected: 'an int32 tensor of shape [B]',
        received: ids?.shape ? [...ids.shape] : ids,
      });
    }
    const idValues = checkTokenIds(fn, 'ids', ids, this.config.vocabSize);
    checkStateGiven(fn, state);
    if (!this.training) return this.stepFast(idValues, state);
    const r = tf.tidy(() => {
      const x = this.embed(ids); // [B, E]
      const { output, state: s } = this.rnn.stepState(x, state); // output [B, H]
      const logits = this.linear.forward(output); // [B, V]
      return s.c ? { logits, h: s.h, c: s.c } : { logits, h: s.h };
    });
    return { logits: r.logits, state: r.c ? { h: r.h, c: r.c } : { h: r.h } };
  }

  /**
   * A decoding session starting from `state` (h, c [L, B, H]; copied, the caller keeps it):
   * generation's tensor-free path, where each step takes token ids and returns logits as a
   * Float32Array. Null in training mode (dropout and gradients need the tensor `step`).
   */
  openSession(state: RecurrentState): DecodingSession | null {
    const fn = 'LanguageModel.openSession';
    checkStateGiven(fn, state);
    const B = state.h.shape[1];
    if (state.h.shape.length !== 3 || B === undefined)
      throw new ShapeError({
        fn,
        argument: 'state.h',
        expected: 'of shape [numLayers, B, hiddenSize]',
        received: [...state.h.shape],
      });
    this.rnn.checkStepState(state, B);
    if (this.training) return null;
    // Copies: the session writes them in place.
    const h = this.stateValues(state.h); // [L, B, H]
    const c = state.c ? this.stateValues(state.c) : null;
    return new DecodingSession(this, h, c, B);
  }

  /**
   * @internal The first layer's input for checked token ids [B]: the ids themselves for a one-hot
   * input, else their embedding rows [B, E] written into `x` (made when not given).
   */
  stepInput(ids: ArrayLike<number>, B: number, x?: Float32Array): StepValuesInput {
    if (!this.embedding) return { ids };
    const table = this.embeddingTable.get(this.embedding.parameters()); // [V, E]
    const E = this.config.embeddingDim!;
    const rows = x ?? new Float32Array(B * E); // [B, E]
    for (let b = 0; b < B; b++) rows.set(table.subarray(ids[b]! * E, (ids[b]! + 1) * E), b * E);
    return { x: rows };
  }

  /**
   * The eval-mode step on plain arrays: a one-hot input is a row lookup of the packed input
   * weight, an embedding input a row lookup of the embedding table, the layers run core's fused
   * steps (its WebAssembly kernel where available), then the head; only the results become
   * tensors. The ids were checked by `step`; the state is checked here, once.
   */
  private stepFast(
    idValues: Int32Array,
    state: RecurrentState,
  ): { logits: Tensor; state: RecurrentState } {
    const B = idValues.length;
    this.rnn.checkStepState(state, B);
    const input = this.stepInput(idValues, B);
    // Copies, stepped in place.
    const h = this.stateValues(state.h); // [L, B, H]
    const c = state.c ? this.stateValues(state.c) : null;
    const top = this.rnn.stepArrays(input, h, c, B); // [B, H]
    const logits = this.linear.forwardValues(top, B); // [B, V]
    const shape = this.rnn.stateShape(B);
    return {
      logits: tf.tensor(logits, [B, this.config.vocabSize], 'float32'),
      state: c
        ? { h: this.stateTensor(h, shape, 0), c: this.stateTensor(c, shape, 1) }
        : { h: this.stateTensor(h, shape, 0) },
    };
  }

  /**
   * The values of the state tensors the last `stepFast` returned (h and c), by data id (tensor
   * data never changes; a variable's assign gives it a new id): the usual next step starts from
   * them without reading the backend.
   */
  private readonly lastStates: { id: object; values: Float32Array }[] = [];

  /** A tensor of a new state, remembering its values (never written afterwards). */
  private stateTensor(values: Float32Array, shape: number[], slot: number): Tensor {
    const t = tf.tensor(values, shape, 'float32');
    this.lastStates[slot] = { id: t.dataId, values };
    return t;
  }

  /** A copy of a state tensor's values (the cpu backend's dataSync is the tensor's own array). */
  private stateValues(t: Tensor): Float32Array {
    // A disposed tensor goes to dataSync, which refuses it.
    const last = t.isDisposed ? undefined : this.lastStates.find((e) => e.id === t.dataId);
    const values = last?.values ?? (t.dataSync() as Float32Array);
    const copy = new Float32Array(values.length); // (cheaper than slice for these sizes)
    copy.set(values);
    return copy;
  }
}

/** A state argument must be given (from beginState or forward), its tensors not disposed. */
function checkStateGiven(fn: string, state: RecurrentState): void {
  if (!state || !state.h)
    throw new InvalidArgumentError({
      fn,
      argument: 'state',
      expected: 'a state (from beginState or forward)',
      received: state,
    });
  checkTensor(fn, 'state.h', state.h);
  if (state.c !== undefined) checkTensor(fn, 'state.c', state.c);
}
