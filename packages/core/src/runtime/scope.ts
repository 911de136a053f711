import { tf } from './tf';
import type { TensorContainer } from '@tensorflow/tfjs-core';
import { InvalidArgumentError, RecurrentError } from '../errors';

/** Runs `fn` in a memory scope: every tensor it makes and does not return is disposed. */
export function scope<T extends TensorContainer>(fn: () => T): T {
  if (typeof fn !== 'function') throw new InvalidArgumentError({ fn: 'scope', argument: 'fn', expected: 'a function', received: fn });
  return tf.tidy(fn);
}

/** Tensors, bytes and backend data buffers the backend holds now. */
export interface MemorySnapshot {
  numTensors: number;
  numBytes: number;
  /** Data buffers the backend holds, including temporaries a kernel made outside tfjs's count. */
  numDataIds: number;
}

export function memorySnapshot(): MemorySnapshot {
  const m = tf.memory();
  const backend = tf.engine().backend as unknown as { numDataIds?: () => number };
  return {
    numTensors: m.numTensors,
    numBytes: m.numBytes,
    numDataIds: backend.numDataIds?.() ?? 0,
  };
}

export class TensorLeakError extends RecurrentError {
  readonly before: MemorySnapshot;
  readonly after: MemorySnapshot;
  constructor(label: string, before: MemorySnapshot, after: MemorySnapshot) {
    super(
      'BACKEND',
      `${label}: leaked ${after.numTensors - before.numTensors} tensors (${after.numBytes - before.numBytes} bytes, ${after.numDataIds - before.numDataIds} backend buffers) per run: ${before.numTensors} tensors before, ${after.numTensors} after`,
    );
    this.name = 'TensorLeakError';
    this.before = before;
    this.after = after;
  }
}

function checkSteady(label: string, before: MemorySnapshot, after: MemorySnapshot): void {
  if (
    after.numTensors !== before.numTensors ||
    after.numBytes > before.numBytes ||
    after.numDataIds > before.numDataIds
  ) {
    throw new TensorLeakError(label, before, after);
  }
}

/**
 * Runs `fn` once to warm up (caches, lazily made weights), then `runs` more times, and throws a
 * `TensorLeakError` if live tensors, bytes or backend data buffers grew between the runs.
 */
export async function assertNoLeak(
  fn: () => unknown | Promise<unknown>,
  options: { runs?: number; label?: string } = {},
): Promise<void> {
  await fn();
  const before = memorySnapshot();
  for (let i = 0; i < (options.runs ?? 2); i++) await fn();
  checkSteady(options.label ?? 'assertNoLeak', before, memorySnapshot());
}

/** `assertNoLeak` for a synchronous `fn` (kernel tests that must not yield between runs). */
export function assertNoLeakSync(
  fn: () => unknown,
  options: { runs?: number; label?: string } = {},
): void {
  fn();
  const before = memorySnapshot();
  for (let i = 0; i < (options.runs ?? 2); i++) fn();
  checkSteady(options.label ?? 'assertNoLeakSync', before, memorySnapshot());
}
