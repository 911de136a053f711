import { tf, type Tensor } from '@recurrent/core';
import { Parameter } from '@recurrent/layers';
import { Adam, AdamW, SGD, clipGradNorm, crossEntropy, type Optimizer } from '@recurrent/train';
import type { CaseComputation, FixtureTensor, KindRunner, TorchCase } from '../case';

type Plain = { shape: readonly number[]; data: ArrayLike<number> };

function toTensor(t: FixtureTensor, dtype: 'float32' | 'int32' = 'float32'): Tensor {
  return tf.tensor(dtype === 'float32' ? Float32Array.from(t.data) : Int32Array.from(t.data), t.shape, dtype);
}

function plain(t: Tensor): Plain {
  return { shape: [...t.shape], data: t.dataSync() };
}

function need(c: TorchCase, group: 'inputs' | 'params', key: string): FixtureTensor {
  const t = c[group][key];
  if (!t) throw new Error(`${c.kind}: the case has no ${group}.${key}`);
  return t;
}

/** `torch.nn.CrossEntropyLoss`: logits `(N, C)` or `(N, C, d1)`; gradient of `output` (or `sum(output * g_output)`). */
export const crossEntropyKind: KindRunner = (c) => {
  const reduction = (c.config.reduction ?? 'mean') as 'mean' | 'sum' | 'none';
  const ignoreIndex = (c.config.ignore_index ?? -100) as number;
  const inputs = need(c, 'inputs', 'input');
  const logits = toTensor(inputs);
  const target = toTensor(need(c, 'inputs', 'target'), 'int32');
  const g = c.inputs.g_output ? toTensor(c.inputs.g_output) : null;
  try {
    const f = (x: Tensor): Tensor => {
      const out = crossEntropy(x, target, { reduction, ignoreIndex, classAxis: x.rank > 2 ? 1 : 'last' });
      return reduction === 'none' && g ? tf.sum(tf.mul(out, g)) : out;
    };
    const output = crossEntropy(logits, target, { reduction, ignoreIndex, classAxis: logits.rank > 2 ? 1 : 'last' });
    const grad = tf.grad(f)(logits);
    const result: CaseComputation = { outputs: { output: plain(output) }, grads: { 'inputs.input': plain(grad) } };
    output.dispose();
    grad.dispose();
    return result;
  } finally {
    logits.dispose();
    target.dispose();
    g?.dispose();
  }
};

function paramNames(c: TorchCase): string[] {
  return Object.keys(c.params).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/** `torch.nn.utils.clip_grad_norm_` on parameters `p0, p1, ...` holding gradients `grad.p<i>`. */
export const clipGradNormKind: KindRunner = (c) => {
  const names = paramNames(c);
  const params = names.map((n) => {
    const v = toTensor(need(c, 'params', n));
    const p = new Parameter(v);
    v.dispose();
    p.setGrad(toTensor(need(c, 'inputs', `grad.${n}`)));
    return p;
  });
  try {
    const total = clipGradNorm(params, c.config.max_norm as number, (c.config.norm_type as number | undefined) ?? 2);
    const outputs: CaseComputation['outputs'] = { total_norm: { shape: [], data: [total] } };
    names.forEach((n, i) => (outputs[`grad.${n}`] = plain(params[i]!.grad!)));
    return { outputs, grads: {} };
  } finally {
    for (const p of params) p.dispose();
  }
};

function optimizerKind(make: (params: Parameter[], config: Record<string, unknown>) => Optimizer, buffers: string[]): KindRunner {
  return (c) => {
    const names = paramNames(c);
    const params = names.map((n) => {
      const v = toTensor(need(c, 'params', n));
      const p = new Parameter(v);
      v.dispose();
      return p;
    });
    const opt = make(params, c.config);
    try {
      const steps = need(c, 'inputs', `grad.${names[0]!}`).shape[0]!;
      const collected = new Map<string, { shape: number[]; data: number[] }>();
      const push = (key: string, t: Tensor): void => {
        const entry = collected.get(key) ?? { shape: [0, ...t.shape], data: [] };
        entry.shape[0]! += 1;
        entry.data.push(...t.dataSync());
        collected.set(key, entry);
      };
      const grads = names.map((n) => toTensor(need(c, 'inputs', `grad.${n}`)));
      try {
        for (let s = 0; s < steps; s++) {
          opt.zeroGrad();
          params.forEach((p, i) => p.setGrad(tf.tidy(() => tf.squeeze(tf.slice(grads[i]!, [s], [1]), [0]))));
          opt.step();
          const sd = opt.stateDict();
          names.forEach((n, i) => {
            push(n, params[i]!.value);
            for (const b of buffers) {
              const t = sd.tensors[`state.${i}.${b}`];
              if (t) push(`state.${n}.${b}`, t);
            }
          });
          for (const t of Object.values(sd.tensors)) t.dispose();
        }
      } finally {
        for (const g of grads) g.dispose();
      }
      const outputs: CaseComputation['outputs'] = {};
      for (const [k, v] of collected) outputs[k] = v;
      return { outputs, grads: {} };
    } finally {
      opt.dispose();
      for (const p of params) p.dispose();
    }
  };
}

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const betas = (v: unknown): [number, number] | undefined => (Array.isArray(v) ? [v[0] as number, v[1] as number] : undefined);

/** `torch.optim.SGD` over several steps. */
export const sgdStepKind = optimizerKind(
  (params, cfg) =>
    new SGD(params, {
      lr: num(cfg.lr, 0.01),
      momentum: num(cfg.momentum, 0),
      dampening: num(cfg.dampening, 0),
      weightDecay: num(cfg.weight_decay, 0),
      nesterov: cfg.nesterov === true,
    }),
  ['momentum_buffer'],
);

/** `torch.optim.Adam` over several steps. */
export const adamStepKind = optimizerKind(
  (params, cfg) =>
    new Adam(params, { lr: num(cfg.lr, 1e-3), betas: betas(cfg.betas), eps: num(cfg.eps, 1e-8), weightDecay: num(cfg.weight_decay, 0), amsgrad: cfg.amsgrad === true }),
  ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
);

/** `torch.optim.AdamW` over several steps. */
export const adamwStepKind = optimizerKind(
  (params, cfg) =>
    new AdamW(params, { lr: num(cfg.lr, 1e-3), betas: betas(cfg.betas), eps: num(cfg.eps, 1e-8), weightDecay: num(cfg.weight_decay, 0.01), amsgrad: cfg.amsgrad === true }),
  ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
);
