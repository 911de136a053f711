// An RNN from explicit parameters: H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h), written with
// tensor ops, then the same numbers from the RNN layer given the same weights.
import { getRandom, init, manualSeed, tf } from '@recurrent/core';
import { RNN } from '@recurrent/layers';

const show = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => v.toFixed(4)).join(' ');

export async function main(): Promise<void> {
  await init();
  manualSeed(0);
  const random = getRandom();
  const [T, B, I, H] = [5, 2, 4, 3]; // steps, batch, input size, hidden size

  // The parameters, as a from-scratch implementation holds them.
  const wXh = tf.tensor2d(random.normalArray(I * H, 0, 0.5), [I, H]); // [I, H]
  const wHh = tf.tensor2d(random.normalArray(H * H, 0, 0.5), [H, H]); // [H, H]
  const bH = tf.tensor1d(random.normalArray(H, 0, 0.1)); // [H]
  const xs = tf.tensor3d(random.normalArray(T * B * I), [T, B, I]); // [T, B, I]

  // The loop over time: one matrix product for the input, one for the previous state.
  const outputs = tf.tidy(() => {
    let h: tf.Tensor = tf.zeros([B, H]); // [B, H]
    const steps: tf.Tensor[] = [];
    for (const x of tf.unstack(xs)) {
      h = tf.tanh(tf.add(tf.add(tf.matMul(x, wXh), tf.matMul(h, wHh)), bH)); // [B, H]
      steps.push(h);
    }
    return tf.stack(steps); // [T, B, H]
  });
  console.log('from scratch, output shape:', outputs.shape);
  console.log('last step:', tf.tidy(() => show(tf.slice(outputs, [T - 1, 0, 0], [1, B, H]))));

  // The RNN layer keeps PyTorch's layout: weight_ih is [H, I] (W_xh transposed) and there are
  // two biases, bias_ih and bias_hh, whose sum plays the role of b_h.
  const rnn = new RNN(I, H);
  const weights = tf.tidy(() => ({
    weight_ih_l0: tf.transpose(wXh),
    weight_hh_l0: tf.transpose(wHh),
    bias_ih_l0: bH.clone(),
    bias_hh_l0: tf.zeros([H]),
  }));
  rnn.loadStateDict(weights);
  const { output, h } = rnn.forward(xs); // output [T, B, H], h [1, B, H]
  console.log('RNN layer, output shape:', output.shape, 'final state shape:', h.shape);
  console.log('last step:', show(h));
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(output, outputs))).dataSync()[0]!);
  console.log('max |difference|:', diff < 1e-6 ? '< 1e-6' : diff);

  tf.dispose([wXh, wHh, bH, xs, outputs, output, h, ...Object.values(weights)]);
  rnn.dispose();
}
