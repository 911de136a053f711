// Runners for the layer kinds of the PyTorch fixtures: build the module from `config`, load
// `params` by their PyTorch names, run the forward pass, differentiate
// loss = Σ sum(output · g_output) w.r.t. every parameter and differentiable input.
import { tf, type Tensor } from '@recurrent/core';
import { fromFixture } from '@recurrent/core/testing';
import {
  Embedding,
  GRU,
  GRUCell,
  Linear,
  LSTM,
  LSTMCell,
  RNN,
  RNNCell,
  type Module,
} from '@recurrent/layers';
import type { CaseComputation, KindRunner, TorchCase } from '../case';

type Plain = { shape: readonly number[]; data: ArrayLike<number> };

/**
 * Runs `forward` on the case's inputs with `module` holding the case's params and returns every
 * output and gradient keyed as the fixture keys them (`output`, `params.weight`, `inputs.x`).
 * Inputs named in `intInputs` are int32 and not differentiated.
 */
function runModuleCase(
  c: TorchCase,
  module: Module,
  forward: (inputs: Record<string, Tensor>) => Record<string, Tensor>,
  intInputs: readonly string[] = [],
): CaseComputation {
  try {
    const dict: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(c.params)) dict[k] = fromFixture(v);
    try {
      module.loadStateDict(dict);
    } finally {
      for (const t of Object.values(dict)) t.dispose();
    }
    const inputs: Record<string, Tensor> = {};
    const inputVars: [string, tf.Variable][] = [];
    const upstream: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(c.inputs)) {
      if (k.startsWith('g_')) {
        upstream[k.slice(2)] = fromFixture(v);
      } else if (intInputs.includes(k)) {
        inputs[k] = fromFixture(v, 'int32');
      } else {
        const t = fromFixture(v);
        const variable = tf.variable(t, true, `inputs.${k}.${Math.random().toString(36).slice(2)}`);
        t.dispose();
        inputs[k] = variable;
        inputVars.push([k, variable]);
      }
    }
    try {
      const outputs: Record<string, Plain> = {};
      const params = module.namedParameters();
      const varList = [...params.map(([, p]) => p.variable), ...inputVars.map(([, v]) => v)];
      const { value, grads } = tf.variableGrads(() => {
        const outs = forward(inputs);
        let loss: Tensor = tf.scalar(0);
        for (const [name, out] of Object.entries(outs)) {
          outputs[name] = { shape: [...out.shape], data: out.dataSync() as Float32Array };
          const g = upstream[name];
          if (g) loss = tf.add(loss, tf.sum(tf.mul(out, g)));
        }
        return loss as tf.Scalar;
      }, varList);
      value.dispose();
      const gradsOut: Record<string, Plain> = {};
      const take = (key: string, v: tf.Variable) => {
        const g = grads[v.name];
        if (g) gradsOut[key] = { shape: [...g.shape], data: g.dataSync() as Float32Array };
      };
      for (const [name, p] of params) take(`params.${name}`, p.variable);
      for (const [name, v] of inputVars) take(`inputs.${name}`, v);
      for (const g of Object.values(grads)) g.dispose();
      return { outputs, grads: gradsOut };
    } finally {
      for (const t of Object.values(inputs)) t.dispose();
      for (const t of Object.values(upstream)) t.dispose();
    }
  } finally {
    module.dispose();
  }
}

const num = (c: TorchCase, key: string): number => c.config[key] as number;
const bool = (c: TorchCase, key: string, fallback: boolean): boolean =>
  (c.config[key] as boolean | undefined) ?? fallback;

/**
 * `RECURRENT_RNN_IMPLEMENTATION=composed` runs the recurrent layers on the per-step reference
 * instead of the fused whole-sequence ops (the default).
 */
function implementation(): 'fused' | 'composed' {
  return process.env.RECURRENT_RNN_IMPLEMENTATION === 'composed' ? 'composed' : 'fused';
}

function recurrentOptions(c: TorchCase) {
  return {
    implementation: implementation(),
    numLayers: (c.config.num_layers as number | undefined) ?? 1,
    bias: bool(c, 'bias', true),
    batchFirst: bool(c, 'batch_first', false),
    bidirectional: bool(c, 'bidirectional', false),
  };
}

const nonlinearity = (c: TorchCase) =>
  (c.config.nonlinearity as 'tanh' | 'relu' | undefined) ?? 'tanh';

export const rnnKind: KindRunner = (c) => {
  const m = new RNN(num(c, 'input_size'), num(c, 'hidden_size'), {
    ...recurrentOptions(c),
    nonlinearity: nonlinearity(c),
  });
  return runModuleCase(c, m, (i) => {
    const r = m.forward(i.x!, i.h0);
    return { output: r.output, h_n: r.h };
  });
};

export const gruKind: KindRunner = (c) => {
  const m = new GRU(num(c, 'input_size'), num(c, 'hidden_size'), recurrentOptions(c));
  return runModuleCase(c, m, (i) => {
    const r = m.forward(i.x!, i.h0);
    return { output: r.output, h_n: r.h };
  });
};

export const lstmKind: KindRunner = (c) => {
  const m = new LSTM(num(c, 'input_size'), num(c, 'hidden_size'), recurrentOptions(c));
  return runModuleCase(c, m, (i) => {
    const r = m.forward(i.x!, i.h0 && i.c0 ? { h: i.h0, c: i.c0 } : undefined);
    return { output: r.output, h_n: r.h, c_n: r.c };
  });
};

export const rnnCellKind: KindRunner = (c) => {
  const m = new RNNCell(num(c, 'input_size'), num(c, 'hidden_size'), {
    bias: bool(c, 'bias', true),
    nonlinearity: nonlinearity(c),
  });
  return runModuleCase(c, m, (i) => ({ h1: m.forward(i.x!, i.h0) }));
};

export const gruCellKind: KindRunner = (c) => {
  const m = new GRUCell(num(c, 'input_size'), num(c, 'hidden_size'), {
    bias: bool(c, 'bias', true),
  });
  return runModuleCase(c, m, (i) => ({ h1: m.forward(i.x!, i.h0) }));
};

export const lstmCellKind: KindRunner = (c) => {
  const m = new LSTMCell(num(c, 'input_size'), num(c, 'hidden_size'), {
    bias: bool(c, 'bias', true),
  });
  return runModuleCase(c, m, (i) => {
    const r = m.forward(i.x!, { h: i.h0, c: i.c0 });
    return { h1: r.h, c1: r.c };
  });
};

export const embeddingKind: KindRunner = (c) => {
  const m = new Embedding(num(c, 'num_embeddings'), num(c, 'embedding_dim'), {
    paddingIdx: (c.config.padding_idx as number | null | undefined) ?? null,
  });
  return runModuleCase(c, m, (i) => ({ output: m.forward(i.x!) }), ['x']);
};

export const linearKind: KindRunner = (c) => {
  const m = new Linear(num(c, 'in_features'), num(c, 'out_features'), {
    bias: bool(c, 'bias', true),
  });
  return runModuleCase(c, m, (i) => ({ output: m.forward(i.x!) }));
};

/** Layer kinds by fixture kind name. */
export const LAYER_KINDS: Record<string, KindRunner> = {
  rnn: rnnKind,
  lstm: lstmKind,
  gru: gruKind,
  rnn_cell: rnnCellKind,
  lstm_cell: lstmCellKind,
  gru_cell: gruCellKind,
  embedding: embeddingKind,
  linear: linearKind,
};

