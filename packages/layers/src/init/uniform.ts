import { tf, type Random, type Tensor } from '@recurrent/core';

/** A float32 tensor drawn from U(-bound, bound) by `random` (values made in JavaScript, so seeded on any backend). */
export function uniformTensor(shape: number[], bound: number, random: Random): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(random.uniformArray(size, -bound, bound), shape, 'float32');
}

/** A float32 tensor of N(mean, std²) deviates drawn by `random`. */
export function normalTensor(shape: number[], random: Random, mean = 0, std = 1): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(random.normalArray(size, mean, std), shape, 'float32');
}
