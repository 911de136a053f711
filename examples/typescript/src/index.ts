// The public API of all six packages, main entries and `./node` subpaths, as a TypeScript user
// writes it. Checked with `tsc --noEmit` under moduleResolution node16 (tsconfig.node16.json)
// and bundler (tsconfig.bundler.json); not meant to be run.
import { init, manualSeed, scope, tf, decodeSafetensors, encodeSafetensors, RecurrentError, InvalidArgumentError, type BackendInfo, type Tensor } from '@recurrent/core';
import { Vocab, ngramCounts, tokenize, tokenizeText, type VocabJSON } from '@recurrent/tokenizers';
import { buildCorpus, loadMobyDick, sequentialBatches, randomBatches, trainValidSplit, type Corpus } from '@recurrent/datasets';
import { loadText, readTextFile, loadTimeMachine } from '@recurrent/datasets/node';
import { LanguageModel, LSTM, Linear, modelCheckpointFiles, modelFromCheckpointFiles, type CheckpointConfig } from '@recurrent/layers';
import { readModelCheckpoint, writeModelCheckpoint } from '@recurrent/layers/node';
import { SGD, Adam, Trainer, crossEntropy, clipGradNorm, evaluate, trainingCheckpointFiles, type EpochStats, type TrainerCallback } from '@recurrent/train';
import { DataParallelTrainer, saveCheckpoint, loadCheckpoint, checkpointEvery } from '@recurrent/train/node';
import { Generator, fetchGenerator, generatorFromCheckpointFiles, topKProcessor, type GenerationResult, type LoadedGenerator } from '@recurrent/generate';
import { loadGenerator } from '@recurrent/generate/node';

const TOKENIZER = { level: 'char', preprocess: 'd2l' } as const;

export async function backend(): Promise<BackendInfo> {
  const info = await init({ backend: 'wasm' });
  if (info.fallback) console.warn(info.fallback.reason satisfies 'csp' | 'no-webassembly' | 'binary-not-found' | 'wasm-failed' | 'no-simd', info.fallback.message);
  return info;
}

export function tensors(): number[] {
  const x: Tensor = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  const bytes: Uint8Array = encodeSafetensors({ x }, { format: 'pt' });
  const back = decodeSafetensors(bytes);
  const y = scope(() => tf.matMul(x, back.x!));
  const shape = y.shape;
  tf.dispose([x, y, back.x!]);
  return shape;
}

export function words(text: string): { vocab: VocabJSON; pairs: string[] } {
  const tokens: string[] = tokenize(text, 'word');
  const vocab = new Vocab(tokenizeText(text, 'char', 'd2l'), { minFreq: 1 });
  return { vocab: vocab.toJSON(), pairs: ngramCounts(tokens, 2).map((row) => `${row.ngram.join(' ')} ${row.count}`) };
}

export async function train(onEpoch: (stats: EpochStats) => void): Promise<{ model: LanguageModel; corpus: Corpus; history: EpochStats[] }> {
  manualSeed(0);
  const corpus: Corpus = await buildCorpus((await loadMobyDick()).slice(0, 10_000), TOKENIZER);
  const { train: ids } = trainValidSplit(corpus.ids, { validFraction: 0.1 });
  const model = new LanguageModel({ cell: 'lstm', input: 'one-hot', vocabSize: corpus.vocab.size, hiddenSize: 32 });
  const callback: TrainerCallback = { onEpochEnd: (stats) => onEpoch(stats) };
  const trainer = new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 0.01 }), clipNorm: 1, callbacks: [callback] });
  await trainer.fit({ epochs: 1, data: (_epoch, random) => randomBatches(ids, { batchSize: 8, numSteps: 10, random }) });
  const held = await evaluate(model, sequentialBatches(corpus.ids, { batchSize: 4, numSteps: 10 }));
  console.log(held.perplexity);
  return { model, corpus, history: trainer.history };
}

export function parts(): number {
  const lstm = new LSTM(4, 3, { numLayers: 2 });
  const head = new Linear(3, 5);
  const sgd = new SGD([...lstm.parameters(), ...head.parameters()], { lr: 0.1, momentum: 0.9 });
  const logits = tf.zeros([2, 5]);
  const targets = tf.tensor1d([1, 4], 'int32');
  const loss = crossEntropy(logits, targets);
  const norm = clipGradNorm([], 1);
  const value = loss.dataSync()[0]! + norm + sgd.lr;
  tf.dispose([logits, targets, loss]);
  lstm.dispose();
  head.dispose();
  return value;
}

export async function checkpoints(model: LanguageModel, corpus: Corpus, dir: string): Promise<GenerationResult> {
  const files: Record<string, Uint8Array | string> = modelCheckpointFiles(model, { tokenizer: TOKENIZER, vocab: corpus.vocab });
  const { config }: { config: CheckpointConfig } = modelFromCheckpointFiles(files['config.json'], files['model.safetensors'] as Uint8Array);
  await writeModelCheckpoint(dir, model, { tokenizer: config.tokenizer, vocab: config.vocab });
  const again = await readModelCheckpoint(dir);
  again.model.dispose();
  const optimizer = new SGD(model.parameters(), { lr: 1 });
  const training = trainingCheckpointFiles({ model, optimizer, tokenizer: TOKENIZER, vocab: corpus.vocab });
  console.log(Object.keys(training));
  await saveCheckpoint(`${dir}-train`, { model, optimizer, tokenizer: TOKENIZER, vocab: corpus.vocab });
  const resumed = await loadCheckpoint(`${dir}-train`);
  resumed.model.dispose();

  const fromFiles: LoadedGenerator = generatorFromCheckpointFiles(files['config.json'], files['model.safetensors'] as Uint8Array);
  fromFiles.dispose();
  const fromDisk = await loadGenerator(dir);
  const byUrl = await fetchGenerator(new URL('https://example.com/checkpoints/tm/'));
  byUrl.dispose();
  const generator: Generator = fromDisk.generator;
  const result = await generator.generate('the ', { maxTokens: 20, strategy: 'sample', temperature: 0.8, processors: [topKProcessor(5)], seed: 1 });
  fromDisk.dispose();
  return result;
}

export async function node(): Promise<number> {
  const texts = [await loadText({ text: 'the time machine' }), await readTextFile('corpus.txt'), await loadTimeMachine()];
  const model = new LanguageModel({ cell: 'gru', input: 'embedding', embeddingDim: 16, vocabSize: 28, hiddenSize: 32 });
  const parallel = new DataParallelTrainer({ model, optimizer: { type: 'sgd', lr: 1 }, clipNorm: 1, workers: 2 });
  const corpus = await buildCorpus(texts.join('\n'), TOKENIZER);
  const trainer = new Trainer({ model, optimizer: new SGD(model.parameters(), { lr: 1 }) });
  const every = checkpointEvery({ dir: 'checkpoints/tm', trainer, model, tokenizer: TOKENIZER, vocab: corpus.vocab, every: 2 });
  const history = await parallel.fit({ epochs: 1, data: (_epoch, random) => sequentialBatches(corpus.ids, { batchSize: 32, numSteps: 35, random }) });
  console.log(every, history.length);
  return history.length;
}

export function errors(error: unknown): string {
  if (error instanceof InvalidArgumentError) return `${error.argument}: ${error.message}`;
  return RecurrentError.isInstance(error) ? error.code : String(error);
}
