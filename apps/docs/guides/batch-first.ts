// batchFirst: the same RNN reading [B, T, F] instead of [T, B, F]. The state stays [L, B, H].
import { getRandom, init, manualSeed, tf } from '@recurrent/core';
import { RNN } from '@recurrent/layers';

export async function main(): Promise<void> {
  await init();
  manualSeed(2);
  const [B, T, I, H] = [2, 4, 3, 5];
  const timeMajor = new RNN(I, H, { numLayers: 2 });
  const batchMajor = new RNN(I, H, { numLayers: 2, batchFirst: true });
  const weights = timeMajor.stateDict();
  batchMajor.loadStateDict(weights);

  const xBatchFirst = tf.tensor3d(getRandom().normalArray(B * T * I), [B, T, I]); // [B, T, I]
  const xTimeFirst = tf.transpose(xBatchFirst, [1, 0, 2]); // [T, B, I]

  const a = timeMajor.forward(xTimeFirst); // output [T, B, H]
  const b = batchMajor.forward(xBatchFirst); // output [B, T, H]
  console.log('batchFirst: false  input', xTimeFirst.shape, '-> output', a.output.shape, 'h', a.h.shape);
  console.log('batchFirst: true   input', xBatchFirst.shape, '-> output', b.output.shape, 'h', b.h.shape);

  const same = tf.tidy(() => {
    const outputs = tf.max(tf.abs(tf.sub(tf.transpose(a.output, [1, 0, 2]), b.output))).dataSync()[0]!;
    const states = tf.max(tf.abs(tf.sub(a.h, b.h))).dataSync()[0]!;
    return outputs < 1e-6 && states < 1e-6;
  });
  console.log('same numbers once transposed:', same);

  tf.dispose([xBatchFirst, xTimeFirst, a.output, a.h, b.output, b.h, ...Object.values(weights)]);
  timeMajor.dispose();
  batchMajor.dispose();
}
