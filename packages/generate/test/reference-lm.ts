// A composed, per-op language model written straight from the checkpoint README's equations
// (core's cell-step ops, one step at a time). Tests use it as an independent reference and as a
// stand-in model; the benchmark uses it as the composed per-op baseline.
import { gruCellStep, lstmCellStep, rnnCellStep, tf, type Tensor } from '@recurrent/core';
import type { RecurrentState } from '@recurrent/layers';
import type { GenerationModel } from '../src/index';

export interface ReferenceConfig {
  cell: 'lstm' | 'gru' | 'rnn';
  input: 'one-hot' | 'embedding';
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
}

export class ReferenceLM implements GenerationModel {
  readonly config: ReferenceConfig;
  readonly weights: Record<string, Tensor>;

  constructor(config: ReferenceConfig, weights: Record<string, Tensor>) {
    this.config = config;
    this.weights = weights;
  }

  /** Random weights U(-scale, scale) from a seed. */
  static random(config: ReferenceConfig, seed = 0, scale = 0.3, embeddingDim = 8): ReferenceLM {
    const G = config.cell === 'lstm' ? 4 : config.cell === 'gru' ? 3 : 1;
    const H = config.hiddenSize;
    const V = config.vocabSize;
    const w: Record<string, Tensor> = {};
    let s = seed;
    const u = (shape: number[]) => tf.randomUniform(shape, -scale, scale, 'float32', s++);
    if (config.input === 'embedding') w['embedding.weight'] = u([V, embeddingDim]);
    for (let k = 0; k < config.numLayers; k++) {
      const inSize = k > 0 ? H : config.input === 'embedding' ? embeddingDim : V;
      w[`rnn.weight_ih_l${k}`] = u([G * H, inSize]);
      w[`rnn.weight_hh_l${k}`] = u([G * H, H]);
      w[`rnn.bias_ih_l${k}`] = u([G * H]);
      w[`rnn.bias_hh_l${k}`] = u([G * H]);
    }
    w['linear.weight'] = u([V, H]);
    w['linear.bias'] = u([V]);
    return new ReferenceLM(config, w);
  }

  private p(name: string): Tensor {
    const t = this.weights[name];
    if (!t) throw new Error(`missing ${name}`);
    return t;
  }

  beginState(batchSize: number): RecurrentState {
    const shape = [this.config.numLayers, batchSize, this.config.hiddenSize];
    return this.config.cell === 'lstm' ? { h: tf.zeros(shape), c: tf.zeros(shape) } : { h: tf.zeros(shape) };
  }

  step(ids: Tensor, state: RecurrentState): { logits: Tensor; state: RecurrentState } {
    return tf.tidy(() => {
      let x =
        this.config.input === 'embedding'
          ? tf.gather(this.p('embedding.weight'), ids) // [B, E]
          : tf.cast(tf.oneHot(ids, this.config.vocabSize), "float32"); // [B, V]
      const hs: Tensor[] = [];
      const cs: Tensor[] = [];
      for (let k = 0; k < this.config.numLayers; k++) {
        const h = tf.squeeze(tf.slice(state.h, [k, 0, 0], [1, -1, -1]), [0]); // [B, H]
        const args = [this.p(`rnn.weight_ih_l${k}`), this.p(`rnn.weight_hh_l${k}`), this.p(`rnn.bias_ih_l${k}`), this.p(`rnn.bias_hh_l${k}`)] as const;
        if (this.config.cell === 'lstm') {
          const c = tf.squeeze(tf.slice(state.c as Tensor, [k, 0, 0], [1, -1, -1]), [0]);
          const out = lstmCellStep(x, h, c, ...args);
          hs.push(out.h);
          cs.push(out.c);
          x = out.h;
        } else {
          x = this.config.cell === 'gru' ? gruCellStep(x, h, ...args) : rnnCellStep(x, h, ...args);
          hs.push(x);
        }
      }
      const logits = tf.add(tf.matMul(x, this.p('linear.weight'), false, true), this.p('linear.bias')); // [B, V]
      const h = tf.stack(hs); // [L, B, H]
      return { logits, state: cs.length > 0 ? { h, c: tf.stack(cs) } : { h } };
    });
  }

  forward(ids: Tensor, state?: RecurrentState): { logits: Tensor; state: RecurrentState } {
    const [B, T] = ids.shape as [number, number];
    let s = state ?? this.beginState(B);
    const owned = state === undefined;
    const cols = tf.unstack(ids, 1); // T x [B]
    const logits: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const out = this.step(cols[t]!, s);
      if (owned || t > 0) tf.dispose([s.h, s.c as Tensor].filter(Boolean));
      s = out.state;
      logits.push(out.logits);
    }
    const all = tf.stack(logits, 1); // [B, T, V]
    tf.dispose([...cols, ...logits]);
    return { logits: all, state: s };
  }

  dispose(): void {
    tf.dispose(Object.values(this.weights));
  }
}
