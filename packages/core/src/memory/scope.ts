import { tf } from '../backend/tf';
import type { TensorContainer } from '@tensorflow/tfjs-core';
import { RecurrentError } from '../errors';

/** Runs `fn` in a memory scope: every tensor it makes and does not return is disposed. */
export function scope<T extends TensorContainer>(fn: () => T): T {
  return tf.tidy(fn);
}

/** Tensors and bytes the backend holds now. */
export interface MemorySnapshot {
  numTensors: number;
  numBytes: number;
}

export function memorySnapshot(): MemorySnapshot {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}

export class TensorLeakError extends RecurrentError {
  readonly before: MemorySnapshot;
  readonly after: MemorySnapshot;
  constructor(label: string, before: MemorySnapshot, after: MemorySnapshot) {
    super(
      'BACKEND',
      `${label}: leaked ${after.numTensors - before.numTensors} tensors (${after.numBytes - before.numBytes} bytes) per run: ${before.numTensors} tensors before, ${after.numTensors} after`,
    );
    this.name = 'TensorLeakError';
    this.before = before;
    this.after = after;
  }
}

/**
 * Runs `fn` once to warm up (caches, lazily made weights), then `runs` more times, and throws a
 * `TensorLeakError` if the number of live tensors or bytes grew between the runs.
 */
export async function assertNoLeak(fn: () => unknown | Promise<unknown>, options: { runs?: number; label?: string } = {}): Promise<void> {
  const runs = options.runs ?? 2;
  await fn();
  const before = memorySnapshot();
  for (let i = 0; i < runs; i++) await fn();
  const after = memorySnapshot();
  if (after.numTensors !== before.numTensors || after.numBytes > before.numBytes) {
    throw new TensorLeakError(options.label ?? 'assertNoLeak', before, after);
  }
}
