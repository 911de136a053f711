// Test support for the kernel fixes: run one function on the wasm backend and on the cpu oracle.
import { tf, type Tensor } from '../runtime/tf';
import { init } from '../runtime/init';
import { expectTensorsClose } from '../testing';
import { assertNoLeakSync } from '../runtime/scope';

export interface Plain {
  shape: number[];
  dtype: string;
  data: Float32Array | Int32Array | Uint8Array;
}

/** Runs `fn` on `backend` inside a tidy scope and returns its tensors as plain arrays. */
export async function runOn(
  backend: 'wasm' | 'cpu',
  fn: () => Tensor | Tensor[],
): Promise<Plain[]> {
  await init({ backend });
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const plain = list.map((t) => ({
    shape: t.shape.slice(),
    dtype: t.dtype,
    data: t.dataSync() as Plain['data'],
  }));
  tf.dispose(list);
  await init({ backend: 'wasm' });
  return plain;
}

/**
 * Runs `fn` on wasm and on cpu and expects the same shapes and close values, element by element
 * (`atol + rtol·|cpu|`), naming output `i` in the failure.
 */
export async function expectSameOnWasmAndCpu(
  fn: () => Tensor | Tensor[],
  options: { atol?: number; rtol?: number; name?: string } = {},
): Promise<Plain[]> {
  const wasm = await runOn('wasm', fn);
  const cpu = await runOn('cpu', fn);
  if (wasm.length !== cpu.length)
    throw new Error(
      `${options.name ?? 'fn'}: ${wasm.length} outputs on wasm, ${cpu.length} on cpu`,
    );
  wasm.forEach((w, i) => {
    const c = cpu[i]!;
    expectTensorsClose(w, c, {
      atol: options.atol ?? 1e-5,
      rtol: options.rtol ?? 1e-4,
      name: `${options.name ?? 'output'}[${i}]`,
    });
  });
  return wasm;
}

/**
 * Runs `fn` (which must dispose what it makes) several times on the current backend and throws
 * if engine tensors or backend data buffers grew: the second catches a kernel that forgets a
 * temporary it made through the backend.
 */
export function expectNoKernelLeak(fn: () => void, runs = 2): void {
  assertNoLeakSync(fn, { runs, label: 'leak' });
}
