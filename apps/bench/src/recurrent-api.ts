// Recurrent measured the way users run it: LanguageModel (@recurrent/layers) trained with
// valueAndGrads, clipGradNorm and SGD (@recurrent/train), and LanguageModel.step for generation.
import { Random, tf } from '@recurrent/core';
import { LanguageModel, disposeState, type RecurrentState, type RNNImplementation } from '@recurrent/layers';
import { SGD, clipGradNorm, crossEntropy, valueAndGrads } from '@recurrent/train';
import { randomIds, type GenerateSpec, type Runner, type TrainSpec } from './workloads';

export function apiTrainer(spec: TrainSpec, implementation?: RNNImplementation): Runner {
  const { vocab: V, batch: B, steps: T } = spec;
  const model = new LanguageModel({
    cell: spec.cell,
    input: spec.input,
    embeddingDim: spec.embeddingDim,
    vocabSize: V,
    hiddenSize: spec.hidden,
    numLayers: spec.layers,
    random: new Random(0),
    ...(implementation ? { implementation } : {}),
  });
  const params = model.parameters();
  const opt = new SGD(params, { lr: spec.lr });
  const ids = tf.tensor(randomIds(B * T, V, 1), [B, T], 'int32');
  const labels = tf.tensor(randomIds(B * T, V, 2), [B * T], 'int32');
  return {
    run() {
      opt.zeroGrad();
      valueAndGrads(params, () => {
        const { logits, state } = model.forward(ids); // [B, T, V]
        disposeState(state);
        return crossEntropy(tf.reshape(logits, [B * T, V]), labels);
      });
      clipGradNorm(params, spec.clip);
      opt.step();
    },
    dispose() {
      opt.zeroGrad();
      model.dispose();
      tf.dispose([ids, labels]);
    },
  };
}

export function apiGenerator(spec: GenerateSpec): Runner {
  const model = new LanguageModel({ cell: spec.cell, input: 'one-hot', vocabSize: spec.vocab, hiddenSize: spec.hidden, random: new Random(0) });
  model.eval();
  const prefix = randomIds(spec.prefix, spec.vocab, 3);
  return {
    run() {
      let state: RecurrentState = model.beginState(1);
      let token = prefix[0]!;
      for (let s = 0; s < spec.prefix + spec.tokens - 1; s++) {
        const ids = tf.tensor1d([token], 'int32');
        const r = model.step(ids, state);
        ids.dispose();
        disposeState(state);
        state = r.state;
        if (s + 1 < spec.prefix) {
          token = prefix[s + 1]!;
          r.logits.dispose();
          continue;
        }
        const logits = r.logits.dataSync();
        r.logits.dispose();
        let best = -Infinity;
        for (let v = 0; v < logits.length; v++) {
          if (logits[v]! > best) {
            best = logits[v]!;
            token = v;
          }
        }
      }
      disposeState(state);
    },
    dispose() {
      model.dispose();
    },
  };
}
