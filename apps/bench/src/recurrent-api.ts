// Recurrent measured the way users run it: LanguageModel (@recurrent/layers) trained with
// valueAndGrads, clipGradNorm and SGD (@recurrent/train), and LanguageModel.step for generation.
import { Random, tf, type Tensor } from '@recurrent/core';
import { LanguageModel, disposeState, oneHot, type RecurrentState, type RNNImplementation } from '@recurrent/layers';
import { Generator } from '@recurrent/generate';
import { SGD, clipGradNorm, crossEntropy, valueAndGrads } from '@recurrent/train';
import { randomIds, type GenerateSpec, type Runner, type TrainSpec } from './workloads';

/**
 * LanguageModel.forward as it ran before the id-based input projection (the "before" of that
 * optimisation, kept for a same-run comparison): one-hot vectors times wIhᵀ.
 */
function oneHotMatmulForward(model: LanguageModel, ids: Tensor): { logits: Tensor; state: RecurrentState } {
  const x = oneHot(tf.transpose(ids), model.config.vocabSize); // [T, B, V]
  const { output, state } = model.rnn.forwardState(x, undefined); // [T, B, H]
  const logits =
    model.config.vocabSize <= model.config.hiddenSize
      ? tf.transpose(model.linear.forward(output), [1, 0, 2])
      : model.linear.forward(tf.transpose(output, [1, 0, 2])); // [B, T, V], as LanguageModel.forward
  return { logits, state };
}

export function apiTrainer(spec: TrainSpec, implementation?: RNNImplementation, path: 'fast' | 'one-hot-matmul' = 'fast'): Runner {
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
        const { logits, state } = path === 'fast' ? model.forward(ids) : oneHotMatmulForward(model, ids); // [B, T, V]
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

/**
 * The eval-mode step as LanguageModel.step ran it before its array fast path (the "before" of
 * that optimisation, kept for a same-run comparison): one-hot tensor, RNN.stepState (fused
 * steps on tensors), head transposing its weight on every call.
 */
function tensorStep(model: LanguageModel, ids: Tensor, state: RecurrentState): { logits: Tensor; state: RecurrentState } {
  const r = tf.tidy(() => {
    const x = oneHot(ids, model.config.vocabSize); // [B, V]
    const { output, state: s } = model.rnn.stepState(x, state); // [B, H]
    const w = model.linear.weight.value;
    const logits = tf.add(tf.matMul(output, tf.transpose(w)), model.linear.bias!.value); // [B, V]
    return { logits, h: s.h, c: s.c! };
  });
  return { logits: r.logits, state: { h: r.h, c: r.c } };
}

/** Distinct one-character tokens for a vocabulary of `size` (the generator's text side). */
function charVocab(size: number): string[] {
  return Array.from({ length: size }, (_, i) => String.fromCodePoint(0x61 + i));
}

/**
 * Generation as users run it: `Generator.generate` (greedy, `spec.tokens` tokens after a
 * `spec.prefix`-token prefix) on an eval-mode LanguageModel, or (`step`, `tensor-step`) the
 * per-token model calls with tensors in and out, the argmax done here.
 */
export function apiGenerator(spec: GenerateSpec, path: 'generator' | 'step' | 'tensor-step' = 'generator'): Runner {
  const model = new LanguageModel({ cell: spec.cell, input: 'one-hot', vocabSize: spec.vocab, hiddenSize: spec.hidden, random: new Random(0) });
  model.eval();
  const prefix = randomIds(spec.prefix, spec.vocab, 3);
  if (path === 'generator') {
    const tokens = charVocab(spec.vocab);
    const generator = new Generator({ model, vocab: { tokens, unk: null } });
    const text = Array.from(prefix, (id) => tokens[id]!).join('');
    return {
      async run() {
        const r = await generator.generate(text, { strategy: 'greedy', maxTokens: spec.tokens });
        if (r.ids.length !== spec.tokens) throw new Error(`bench: generated ${r.ids.length} tokens, expected ${spec.tokens}`);
      },
      dispose() {
        model.dispose();
      },
    };
  }
  return {
    run() {
      let state: RecurrentState = model.beginState(1);
      let token = prefix[0]!;
      for (let s = 0; s < spec.prefix + spec.tokens - 1; s++) {
        const ids = tf.tensor1d([token], 'int32');
        const r = path === 'step' ? model.step(ids, state) : tensorStep(model, ids, state);
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
