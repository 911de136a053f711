import { modelFromCheckpointFiles, readModelCheckpoint, type CheckpointConfig, type LanguageModel } from '@recurrent/layers';
import { Generator } from '../decode/generator';

/** A generator with the checkpoint it came from; `dispose()` frees the model's weights. */
export interface LoadedGenerator {
  generator: Generator;
  config: CheckpointConfig;
  model: LanguageModel;
  dispose(): void;
}

function wrap(config: CheckpointConfig, model: LanguageModel): LoadedGenerator {
  const generator = new Generator({ model, vocab: config.vocab, tokenizer: config.tokenizer });
  return { generator, config, model, dispose: () => model.dispose() };
}

/**
 * Loads a `recurrent-lm/1` checkpoint directory (Node), e.g. one written by PyTorch, and returns
 * a generator for it. A config that does not match its weights is a `CheckpointError`.
 */
export async function loadGenerator(dir: string): Promise<LoadedGenerator> {
  const { config, model } = await readModelCheckpoint(dir);
  return wrap(config, model);
}

/** The same from the files' contents (browser: a fetched or dropped checkpoint). */
export function generatorFromCheckpointFiles(configJson: unknown, safetensors: Uint8Array): LoadedGenerator {
  const { config, model } = modelFromCheckpointFiles(configJson, safetensors);
  return wrap(config, model);
}
