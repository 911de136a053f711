import { modelCheckpointFiles, modelFromCheckpointFiles, type CheckpointConfig } from '@recurrent/layers';
import { Vocab } from '@recurrent/tokenizers';
import { DEFAULT_SESSION, type SessionConfig } from './session-config';
import { TrainingSession } from './session';

/** The `recurrent-lm/1` checkpoint of a session, in memory (the browser downloads the two files). */
export function checkpointFiles(session: TrainingSession): { config: string; weights: Uint8Array } {
  const files = modelCheckpointFiles(session.model, session.checkpointMeta());
  const config = files['config.json'];
  const weights = files['model.safetensors'];
  if (typeof config !== 'string' || !(weights instanceof Uint8Array)) throw new Error('checkpointFiles: unexpected checkpoint file types');
  return { config, weights };
}

/** The session settings a checkpoint implies (training settings keep the defaults). */
export function sessionConfigOf(config: CheckpointConfig, defaults: SessionConfig = DEFAULT_SESSION): SessionConfig {
  return {
    ...defaults,
    cell: config.cell,
    hiddenSize: config.hiddenSize,
    numLayers: config.numLayers,
    embeddingDim: config.input === 'embedding' ? config.embeddingDim : null,
    tokenizer: { level: config.tokenizer.level, preprocess: config.tokenizer.preprocess },
  };
}

/**
 * A session around a checkpoint's two files (a config that does not match its weights is a
 * `CheckpointError`). It generates; training again starts a new session.
 */
export function sessionFromCheckpoint(configText: string, weights: Uint8Array): TrainingSession {
  const { config, model } = modelFromCheckpointFiles(configText, weights);
  return TrainingSession.fromModel(sessionConfigOf(config), model, Vocab.fromJSON(config.vocab));
}
