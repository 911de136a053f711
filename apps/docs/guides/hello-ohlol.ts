// Teach a network to turn "hello" into "ohlol": first with one-hot inputs into an RNN whose
// hidden state is the prediction, then with an Embedding, a 2-layer RNN and a Linear head.
import { init, manualSeed, tf, type Tensor } from '@recurrent/core';
import { Embedding, Linear, RNN, oneHot, type Module, type Parameter } from '@recurrent/layers';
import { Adam, crossEntropy, valueAndGrads } from '@recurrent/train';

const chars = ['e', 'h', 'l', 'o'];
const hello = [1, 0, 2, 2, 3]; // h e l l o
const ohlol = [3, 1, 2, 3, 2]; // o h l o l

/** The most likely character at each step of logits [T, V]. */
function decode(logits: Tensor): string {
  return tf.tidy(() => Array.from(tf.argMax(logits, -1).dataSync(), (i) => chars[i]).join(''));
}

/** `epochs` steps of Adam (lr 0.1) on the one sequence; `forward` returns logits [T, V]. */
function fit(modules: Module[], forward: () => Tensor, target: Tensor, epochs: number, every: number): void {
  const params: Parameter[] = modules.flatMap((m) => m.parameters());
  const optimizer = new Adam(params, { lr: 0.1 });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let guess = '';
    const { loss } = valueAndGrads(params, () => {
      const logits = forward(); // [T, V]
      guess = decode(logits);
      return crossEntropy(logits, target);
    });
    optimizer.step();
    optimizer.zeroGrad();
    if (epoch % every === 0 || epoch === 1) console.log(`epoch ${String(epoch).padStart(2)}  loss ${loss.toFixed(4)}  predicted: ${guess}`);
  }
  optimizer.dispose();
}

export async function main(): Promise<void> {
  await init();
  manualSeed(0);
  const target = tf.tensor1d(ohlol, 'int32'); // [T]

  // 1. One-hot input, time-major [T, B=1, 4]; hidden size 4 = the number of characters, so the
  //    RNN's output at each step is read directly as the logits over e, h, l, o.
  console.log('one-hot input, RNN(4, 4):');
  const x = tf.tensor2d(hello, [hello.length, 1], 'int32'); // [T, B]
  const inputs = oneHot(x, chars.length); // [T, B, 4]
  const rnn = new RNN(chars.length, chars.length);
  fit([rnn], () => tf.reshape(rnn.forward(inputs).output, [-1, chars.length]), target, 40, 5);

  // 2. Embedding(4, 10) -> RNN(10, 8, 2 layers, batchFirst) -> Linear(8, 4).
  console.log('embedding input, Embedding(4, 10) -> RNN(10, 8, numLayers 2) -> Linear(8, 4):');
  const ids = tf.tensor2d(hello, [1, hello.length], 'int32'); // [B, T]
  const embedding = new Embedding(chars.length, 10);
  const rnn2 = new RNN(10, 8, { numLayers: 2, batchFirst: true });
  const head = new Linear(8, chars.length);
  const forward = () => {
    const { output } = rnn2.forward(embedding.forward(ids)); // [B, T, 8]
    return tf.reshape(head.forward(output), [-1, chars.length]); // [B*T, 4]
  };
  fit([embedding, rnn2, head], forward, target, 15, 3);

  tf.dispose([target, x, inputs, ids]);
  for (const m of [rnn, embedding, rnn2, head]) m.dispose();
}
