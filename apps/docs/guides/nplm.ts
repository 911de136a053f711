// Bengio et al.'s neural probabilistic language model (NPLM) on three sentences: predict the
// third word from the two before it. y = b + W x + U tanh(d + H x), x = the two words' embeddings.
import { init, manualSeed, tf, type Tensor } from '@recurrent/core';
import { Embedding, Linear, Module } from '@recurrent/layers';
import { Vocab } from '@recurrent/tokenizers';
import { Adam, crossEntropy, valueAndGrads } from '@recurrent/train';

class NPLM extends Module {
  readonly C: Embedding; // word -> m-dimensional feature vector
  readonly H: Linear; // hidden layer (its bias is d)
  readonly U: Linear; // hidden -> vocabulary (its bias is b)
  readonly W: Linear; // direct connections from the features to the vocabulary

  constructor(
    vocabSize: number,
    readonly nStep: number,
    readonly m: number,
    nHidden: number,
  ) {
    super();
    this.C = this.registerModule('C', new Embedding(vocabSize, m));
    this.H = this.registerModule('H', new Linear(nStep * m, nHidden));
    this.U = this.registerModule('U', new Linear(nHidden, vocabSize));
    this.W = this.registerModule('W', new Linear(nStep * m, vocabSize, { bias: false }));
  }

  /** context ids [B, nStep] -> logits [B, V]. */
  forward(context: Tensor): Tensor {
    return tf.tidy(() => {
      const x = tf.reshape(this.C.forward(context), [-1, this.nStep * this.m]); // [B, n*m]
      const hidden = tf.tanh(this.H.forward(x)); // [B, nHidden]
      return tf.add(this.W.forward(x), this.U.forward(hidden)); // [B, V]
    });
  }
}

export async function main(): Promise<void> {
  await init();
  manualSeed(0);
  const sentences = ['i like dog', 'i love coffee', 'i hate milk'];
  const words = sentences.map((s) => s.split(' '));
  const vocab = new Vocab(words, { unk: null });
  console.log(`vocabulary (${vocab.size}):`, vocab.tokens.join(' '));

  const context = tf.tensor2d(words.map((w) => Array.from(vocab.encode(w.slice(0, 2)))), [3, 2], 'int32'); // [3, 2]
  const target = tf.tensor1d(words.map((w) => vocab.id(w[2]!)), 'int32'); // [3]

  const model = new NPLM(vocab.size, 2, 2, 2);
  console.log('parameters:', model.namedParameters().map(([name, p]) => `${name} [${p.shape.join(', ')}]`).join(', '));
  const optimizer = new Adam(model.parameters(), { lr: 0.02 });
  for (let epoch = 1; epoch <= 200; epoch++) {
    const { loss } = valueAndGrads(model.parameters(), () => crossEntropy(model.forward(context), target));
    optimizer.step();
    optimizer.zeroGrad();
    if (epoch % 40 === 0) console.log(`epoch ${epoch}  loss ${loss.toFixed(6)}`);
  }

  const predicted = tf.tidy(() => Array.from(tf.argMax(model.forward(context), -1).dataSync()));
  for (const [i, w] of words.entries()) console.log(`${w[0]} ${w[1]} -> ${vocab.decode([predicted[i]!])[0]}`);

  tf.dispose([context, target]);
  optimizer.dispose();
  model.dispose();
}
