// The baseline a JS user has today: tfjs-layers 4.22 (LSTM / GRU / SimpleRNN + Dense head,
// trainOnBatch) on the same WASM backend and tfjs-core instance, with tfjs's stock kernels.
// tfjs-layers calls chained tensor methods, which only the union package registers.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '@recurrent/core';
import { randomIds, type Cell, type GenerateSpec, type Runner, type TrainSpec } from './workloads';

function recurrentLayer(cell: Cell, units: number, extra: Record<string, unknown>): tfl.layers.Layer {
  // Sigmoid gates (tfjs defaults to hardSigmoid) and a uniform recurrent init (its default
  // orthogonal init takes seconds on wasm) so the model computes what PyTorch's does.
  const common = { units, recurrentInitializer: 'glorotUniform', ...extra } as const;
  if (cell === 'lstm') return tfl.layers.lstm({ ...common, recurrentActivation: 'sigmoid' });
  if (cell === 'gru') return tfl.layers.gru({ ...common, recurrentActivation: 'sigmoid' });
  return tfl.layers.simpleRNN({ ...common, activation: 'tanh' });
}

export function baselineTrainer(spec: TrainSpec): Runner {
  const { vocab: V, batch: B, steps: T, hidden: H } = spec;
  // An embedding's gradient needs UnsortedSegmentSum, which stock tfjs-backend-wasm lacks: the
  // step would throw inside tfjs's gradient code, which then keeps its tape's tensors (2,000 and
  // 3 GB of the word LM's) and leaves every later subject of the process out of memory. Say so
  // before building anything.
  if (spec.input === 'embedding' && !tf.getKernel('UnsortedSegmentSum', tf.getBackend())) {
    throw new Error(`Kernel 'UnsortedSegmentSum' not registered for backend '${tf.getBackend()}' (an embedding's gradient needs it)`);
  }
  const model = tfl.sequential();
  if (spec.input === 'embedding') {
    model.add(tfl.layers.embedding({ inputDim: V, outputDim: spec.embeddingDim!, inputLength: T }));
    for (let l = 0; l < spec.layers; l++) model.add(recurrentLayer(spec.cell, H, { returnSequences: true }));
  } else {
    for (let l = 0; l < spec.layers; l++) model.add(recurrentLayer(spec.cell, H, { returnSequences: true, ...(l === 0 ? { inputShape: [T, V] } : {}) }));
  }
  model.add(tfl.layers.dense({ units: V, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.sgd(spec.lr), loss: 'sparseCategoricalCrossentropy' });
  const ids = randomIds(B * T, V, 1);
  const x = spec.input === 'embedding' ? tf.tensor(ids, [B, T], 'float32') : tf.cast(tf.oneHot(tf.tensor(ids, [B, T], 'int32'), V), 'float32');
  const y = tf.tensor(randomIds(B * T, V, 2), [B, T, 1], 'float32');
  return {
    async run() {
      await model.trainOnBatch(x, y);
    },
    dispose() {
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}

export function baselineGenerator(spec: GenerateSpec): Runner {
  const { vocab: V, hidden: H } = spec;
  const model = tfl.sequential();
  model.add(recurrentLayer(spec.cell, H, { stateful: true, batchInputShape: [1, 1, V] }));
  model.add(tfl.layers.dense({ units: V }));
  const prefix = randomIds(spec.prefix, V, 3);
  return {
    run() {
      model.resetStates();
      let token = prefix[0]!;
      const oneHot = new Float32Array(V);
      for (let s = 0; s < spec.prefix + spec.tokens - 1; s++) {
        oneHot.fill(0);
        oneHot[token] = 1;
        const x = tf.tensor(oneHot, [1, 1, V]);
        const logits = model.predict(x) as tf.Tensor;
        x.dispose();
        const v = logits.dataSync();
        logits.dispose();
        if (s + 1 < spec.prefix) {
          token = prefix[s + 1]!;
          continue;
        }
        let best = -Infinity;
        for (let i = 0; i < V; i++) {
          if (v[i]! > best) {
            best = v[i]!;
            token = i;
          }
        }
      }
    },
    dispose() {
      model.dispose();
    },
  };
}
