// tfjs-backend-wasm's binary, from a module of this package instead of a file next to the script.
//
// tfjs looks for `tfjs-backend-wasm*.wasm` beside the running script, which no bundler provides
// without configuration (Vite, webpack, esbuild and Rollup do not emit files a dependency only
// names at run time), so a bundled page silently got the cpu backend. Here the binaries are
// base64 modules (scripts/inline-tfjs-wasm.mjs), imported dynamically: bundlers emit each as a
// lazy chunk and load only the one the engine runs. The bytes reach tfjs through its own
// "platform fetch" hook (`setWasmPaths(map, true)` makes it fetch through `env().platform.fetch`),
// answered in memory for one marker URL: no network request, no data: or blob: URL (which a
// Content Security Policy's connect-src may block), the same path in Node and in browsers.
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { decodeBase64 } from '../module/loader';

const MARKER = 'recurrent-inline:';
const TFJS_BINARIES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

interface InlineBinary {
  FILE_NAME: string;
  BASE64: string;
}

/** The bytes of tfjs's single-threaded binary with or without SIMD, and its file name. */
export async function inlineTfjsBinary(
  simd: boolean,
): Promise<{ name: string; bytes: Uint8Array<ArrayBuffer> }> {
  const mod: InlineBinary = simd
    ? await import('./tfjs-wasm-simd.generated')
    : await import('./tfjs-wasm-plain.generated');
  return { name: mod.FILE_NAME, bytes: decodeBase64(mod.BASE64) };
}

/**
 * Runs `start` (which switches tfjs to its wasm backend) with tfjs's binary served from this
 * package: the SIMD build where the engine has SIMD, else the plain one. tfjs's threaded build is
 * not used (threads come from our own module), so its multithreading flag is set off. Returns
 * whether the SIMD build was used. The binary is compiled once here first: tfjs's loader drops a
 * failed instantiation silently (its init would never settle), so failures surface here instead.
 */
export async function withInlineTfjsBinary(start: () => Promise<void>): Promise<boolean> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const { name, bytes } = await inlineTfjsBinary(simd);
  await WebAssembly.compile(bytes);
  const url = `${MARKER}${name}`;
  // tfjs wants an entry for each of its three binaries; the two it will not ask for (the flags
  // above decide its pick) answer 404 if it ever did, which fails its init cleanly.
  setWasmPaths(Object.fromEntries(TFJS_BINARIES.map((file) => [file, `${MARKER}${file}`])), true);
  const platform = tf.env().platform;
  const original = platform.fetch;
  const own = Object.hasOwn(platform, 'fetch');
  platform.fetch = (path: string, init?: RequestInit) =>
    path === url
      ? Promise.resolve({
          ok: true,
          status: 200,
          arrayBuffer: async () => bytes.buffer,
        } as unknown as Response)
      : path.startsWith(MARKER)
        ? Promise.resolve({
            ok: false,
            status: 404,
            arrayBuffer: async () => new ArrayBuffer(0),
          } as unknown as Response)
        : original.call(platform, path, init);
  try {
    await start();
  } finally {
    if (own) platform.fetch = original;
    else delete (platform as Partial<typeof platform>).fetch;
  }
  return simd;
}
