import { CONFIG_FILE, MODEL_FILE, modelFromCheckpointFiles, type CheckpointConfig, type LanguageModel } from '@recurrent/layers';
import { InvalidArgumentError, CheckpointError, backendInfo, init } from '@recurrent/core';
import { Generator } from '../decode/generator';

/** A generator with the checkpoint it came from; `dispose()` frees the model's weights. */
export interface LoadedGenerator {
  generator: Generator;
  config: CheckpointConfig;
  model: LanguageModel;
  dispose(): void;
}

/** The generator for a model built from a checkpoint (both loaders end here). */
export function loadedGenerator(config: CheckpointConfig, model: LanguageModel): LoadedGenerator {
  const generator = new Generator({ model, vocab: config.vocab, tokenizer: config.tokenizer });
  return { generator, config, model, dispose: () => model.dispose() };
}

/**
 * Starts the backend with `init()` unless the program already did. The async loaders are often a
 * program's first call into Recurrent (an app that installed @recurrent/generate alone), and
 * building the model's tensors before any backend is ready fails inside tfjs.
 */
export async function ensureBackend(): Promise<void> {
  if (backendInfo() === undefined) await init();
}

/**
 * A generator from a `recurrent-lm/1` checkpoint's two files' contents (`config.json` as text,
 * bytes or parsed JSON; `model.safetensors` as bytes): a fetched, dropped or bundled checkpoint.
 * A config that does not match its weights is a `CheckpointError`.
 */
export function generatorFromCheckpointFiles(configJson: unknown, safetensors: Uint8Array): LoadedGenerator {
  const { config, model } = modelFromCheckpointFiles(configJson, safetensors);
  return loadedGenerator(config, model);
}

export interface FetchGeneratorOptions {
  /** The fetch to use (default: the global one). */
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
  /** Aborts the downloads. */
  signal?: AbortSignal;
}

/**
 * Downloads a checkpoint directory served over HTTP (`<url>/config.json` and
 * `<url>/model.safetensors`) and returns a generator for it: the browser's (and Node's) way to
 * load a checkpoint by URL. `url` is the directory's URL, absolute or relative to the page; a
 * failed download is a `CheckpointError` naming the file and the HTTP status. Starts the backend
 * (`init()`) if the program has not.
 */
export async function fetchGenerator(url: string | URL, options: FetchGeneratorOptions = {}): Promise<LoadedGenerator> {
  const fn = 'fetchGenerator';
  if ((typeof url !== 'string' || url.trim() === '') && !(url instanceof URL)) {
    throw new InvalidArgumentError({ fn, argument: 'url', expected: "a checkpoint directory's URL", received: url });
  }
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') {
    throw new InvalidArgumentError({ fn, argument: 'options.fetch', expected: 'a fetch function (this platform has none)', received: doFetch });
  }
  const base = String(url).endsWith('/') ? String(url) : `${String(url)}/`;
  const get = async (name: string): Promise<Uint8Array> => {
    const where = `${base}${name}`;
    let response: Response;
    try {
      response = await doFetch(where, options.signal ? { signal: options.signal } : undefined);
    } catch (cause) {
      throw new CheckpointError(`${fn}: ${where} could not be fetched (${(cause as Error).message})`, { cause });
    }
    if (!response.ok) throw new CheckpointError(`${fn}: ${where} answered HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const [config, weights] = await Promise.all([get(CONFIG_FILE), get(MODEL_FILE), ensureBackend()]);
  return generatorFromCheckpointFiles(config, weights);
}
