import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, init, parseSafetensors, tf } from '@recurrent/core';
import { checkpointDir } from '@recurrent/fixtures';

const file = `${checkpointDir('tm-lstm-onehot')}/model.safetensors`;

beforeAll(async () => {
  await init();
});

describe('safetensors written by PyTorch', () => {
  it('reads every tensor of tm-lstm-onehot with its name, dtype and shape', () => {
    const bytes = new Uint8Array(readFileSync(file));
    const { tensors, metadata } = parseSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    const shapes = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, [v.dtype, v.shape]]));
    expect(shapes).toEqual({
      'linear.bias': ['F32', [28]],
      'linear.weight': ['F32', [28, 128]],
      'rnn.bias_hh_l0': ['F32', [512]],
      'rnn.bias_ih_l0': ['F32', [512]],
      'rnn.weight_hh_l0': ['F32', [512, 128]],
      'rnn.weight_ih_l0': ['F32', [512, 28]],
    });
    const w = tensors['linear.bias']!.data as Float32Array;
    expect(w.every(Number.isFinite)).toBe(true);
  });

  it('re-encodes to exactly the bytes PyTorch wrote', () => {
    const bytes = new Uint8Array(readFileSync(file));
    const decoded = decodeSafetensors(bytes);
    const again = encodeSafetensors(decoded, { format: 'pt' });
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    tf.dispose(Object.values(decoded));
  });
});
