// RNNCell stepped by hand over a sequence gives the same outputs as RNN over the whole sequence,
// once the cell and the layer share their weights.
import { getRandom, init, manualSeed, tf } from '@recurrent/core';
import { RNN, RNNCell } from '@recurrent/layers';

export async function main(): Promise<void> {
  await init();
  manualSeed(1);
  const [T, B, I, H] = [6, 3, 5, 4];
  const xs = tf.tensor3d(getRandom().normalArray(T * B * I), [T, B, I]); // [T, B, I]

  const cell = new RNNCell(I, H);
  const rnn = new RNN(I, H);
  // The cell names its weights weight_ih, weight_hh, bias_ih, bias_hh; the layer adds _l0.
  const cellWeights = cell.stateDict();
  rnn.loadStateDict(Object.fromEntries(Object.entries(cellWeights).map(([k, v]) => [`${k}_l0`, v])));
  console.log('cell parameters:', cell.namedParameters().map(([name, p]) => `${name} [${p.shape.join(', ')}]`).join(', '));
  console.log('layer parameters:', rnn.namedParameters().map(([name, p]) => `${name} [${p.shape.join(', ')}]`).join(', '));

  // By hand: one call per step, feeding the state back.
  const byHand = tf.tidy(() => {
    let h = tf.zeros([B, H]); // [B, H]
    const outs: tf.Tensor[] = [];
    for (const x of tf.unstack(xs)) {
      h = cell.forward(x, h); // [B, H]
      outs.push(h);
    }
    return tf.stack(outs); // [T, B, H]
  });

  // The layer: the whole sequence at once, plus the final state.
  const { output, h } = rnn.forward(xs); // [T, B, H], [1, B, H]
  const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
  const lastByHand = tf.tidy(() => tf.slice(byHand, [T - 1, 0, 0], [1, B, H]));
  console.log('by hand:', byHand.shape, ' layer:', output.shape, h.shape);
  console.log('outputs agree:', maxDiff(byHand, output) < 1e-6);
  console.log('final state = last output:', maxDiff(lastByHand, h) < 1e-6);
  console.log('h[0] =', Array.from(h.dataSync().slice(0, H), (v) => v.toFixed(4)).join(' '));

  tf.dispose([xs, byHand, output, h, lastByHand, ...Object.values(cellWeights)]);
  cell.dispose();
  rnn.dispose();
}
