// Recurrent measured through @recurrent/core's ops directly (forward, BPTT, clipping and SGD
// written with tf ops here): the ceiling the layers/train APIs can reach.
import {
  gruSequence,
  gruSequenceComposed,
  lstmSequence,
  lstmSequenceComposed,
  lstmStep,
  packStepWeights,
  Random,
  rnnSequence,
  rnnSequenceComposed,
  tf,
  type Tensor,
} from '@recurrent/core';
import { randomIds, type Cell, type GenerateSpec, type Runner, type TrainSpec } from './workloads';

const gates: Record<Cell, number> = { lstm: 4, gru: 3, rnn: 1 };

function uniform(rng: Random, shape: number[], k: number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.variable(tf.tensor(Float32Array.from({ length: n }, () => (rng.float() * 2 - 1) * k), shape));
}

interface LayerVars {
  wIh: tf.Variable;
  wHh: tf.Variable;
  bIh: tf.Variable;
  bHh: tf.Variable;
}

function layerOutput(cell: Cell, impl: 'fused' | 'composed', x: Tensor, B: number, H: number, v: LayerVars): Tensor {
  const h0 = tf.zeros([B, H]);
  if (cell === 'lstm') {
    const f = impl === 'fused' ? lstmSequence : lstmSequenceComposed;
    return f(x, h0, tf.zeros([B, H]), v.wIh, v.wHh, v.bIh, v.bHh).output;
  }
  if (cell === 'gru') return (impl === 'fused' ? gruSequence : gruSequenceComposed)(x, h0, v.wIh, v.wHh, v.bIh, v.bHh).output;
  return (impl === 'fused' ? rnnSequence : rnnSequenceComposed)(x, h0, v.wIh, v.wHh, v.bIh, v.bHh).output;
}

/** Training with the whole-sequence ops (`fused`) or their composed references. */
export function directTrainer(spec: TrainSpec, impl: 'fused' | 'composed'): Runner {
  const { vocab: V, hidden: H, batch: B, steps: T } = spec;
  const rng = new Random(0);
  const k = 1 / Math.sqrt(H);
  const G = gates[spec.cell] * H;
  const emb = spec.input === 'embedding' ? tf.variable(tf.randomNormal([V, spec.embeddingDim!], 0, 1, 'float32', 1)) : null;
  const layers: LayerVars[] = [];
  for (let l = 0; l < spec.layers; l++) {
    const inSize = l > 0 ? H : (spec.embeddingDim ?? V);
    layers.push({ wIh: uniform(rng, [G, inSize], k), wHh: uniform(rng, [G, H], k), bIh: uniform(rng, [G], k), bHh: uniform(rng, [G], k) });
  }
  const linW = uniform(rng, [V, H], k);
  const linB = uniform(rng, [V], k);
  const vars: tf.Variable[] = [...(emb ? [emb] : []), ...layers.flatMap((v) => [v.wIh, v.wHh, v.bIh, v.bHh]), linW, linB];
  const idsT = tf.tensor(randomIds(T * B, V, 1), [T, B], 'int32'); // time-major
  const labels = tf.tensor(randomIds(T * B, V, 2), [T * B], 'int32');
  return {
    run() {
      const { value, grads } = tf.variableGrads(() => {
        let x = emb ? tf.gather(emb, idsT) : tf.cast(tf.oneHot(idsT, V), 'float32'); // [T, B, E]
        for (const v of layers) x = layerOutput(spec.cell, impl, x, B, H, v);
        const logits = tf.add(tf.matMul(tf.reshape(x, [T * B, H]), linW, false, true), linB); // [T*B, V]
        const y = tf.cast(tf.oneHot(labels, V), 'float32');
        return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
      }, vars);
      tf.tidy(() => {
        const gs = vars.map((v) => grads[v.name]!);
        const norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))));
        const scale = tf.minimum(1, tf.div(spec.clip, tf.add(norm, 1e-6)));
        const step = tf.mul(scale, -spec.lr);
        vars.forEach((v, i) => v.assign(tf.add(v, tf.mul(gs[i]!, step))));
      });
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    },
    dispose() {
      tf.dispose([...vars, idsT, labels]);
    },
  };
}

/** Greedy generation with the fused LSTM step (weights packed once) and the head in JS. */
export function directGenerator(spec: GenerateSpec): Runner {
  const { vocab: V, hidden: H } = spec;
  const rng = new Random(0);
  const k = 1 / Math.sqrt(H);
  const wIh = uniform(rng, [4 * H, V], k);
  const wHh = uniform(rng, [4 * H, H], k);
  const bIh = uniform(rng, [4 * H], k);
  const bHh = uniform(rng, [4 * H], k);
  const linW = uniform(rng, [V, H], k).dataSync() as Float32Array;
  const linB = uniform(rng, [V], k).dataSync() as Float32Array;
  const packed = packStepWeights('lstm', wIh, wHh, bIh, bHh);
  const prefix = randomIds(spec.prefix, V, 3);
  return {
    run() {
      let h = tf.zeros([1, H]);
      let c = tf.zeros([1, H]);
      let token = prefix[0]!;
      const oneHot = new Float32Array(V);
      for (let s = 0; s < spec.prefix + spec.tokens - 1; s++) {
        oneHot.fill(0);
        oneHot[token] = 1;
        const x = tf.tensor(oneHot, [1, V]);
        const r = lstmStep(x, h, c, packed);
        tf.dispose([x, h, c]);
        h = r.h;
        c = r.c;
        if (s + 1 < spec.prefix) {
          token = prefix[s + 1]!;
          continue;
        }
        const hv = h.dataSync();
        let best = -Infinity;
        for (let v = 0; v < V; v++) {
          let z = linB[v]!;
          for (let j = 0; j < H; j++) z += linW[v * H + j]! * hv[j]!;
          if (z > best) {
            best = z;
            token = v;
          }
        }
      }
      tf.dispose([h, c]);
    },
    dispose() {
      packed.dispose();
      tf.dispose([wIh, wHh, bIh, bHh]);
    },
  };
}
