import { readFileSync } from 'node:fs';
import { decodeSafetensors } from '@recurrent/core';
import { checkpointDir } from '@recurrent/fixtures';
import { ReferenceLM } from './reference-lm';

/** The PyTorch checkpoint (golden fixture, @recurrent/fixtures). */
export const TM_DIR = checkpointDir('tm-lstm-onehot');

export interface Expected {
  greedy: { prefix: string; numTokens: number; text: string; minMargin: number }[];
  logits: { prefix: string; firstStep: number[] };
  eval: { corpus: string; batchSize: number; numSteps: number; sampler: string; perplexity: number };
}

export function readExpected(): Expected {
  return JSON.parse(readFileSync(`${TM_DIR}/expected.json`, 'utf8')) as Expected;
}

export function readConfig(): { vocab: { tokens: string[]; unk: string | null }; tokenizer: { level: 'char'; preprocess: 'd2l' }; hiddenSize: number } {
  return JSON.parse(readFileSync(`${TM_DIR}/config.json`, 'utf8'));
}

/** The fixture's weights in the composed reference model (independent of LanguageModel). */
export function referenceFromFixture(): ReferenceLM {
  const weights = decodeSafetensors(new Uint8Array(readFileSync(`${TM_DIR}/model.safetensors`)));
  const config = readConfig();
  return new ReferenceLM({ cell: 'lstm', input: 'one-hot', vocabSize: config.vocab.tokens.length, hiddenSize: config.hiddenSize, numLayers: 1 }, weights);
}
