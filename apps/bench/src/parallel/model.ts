// The d2l LanguageModel of a training workload, built the same way on every thread.
import { Random } from '@recurrent/core';
import { LanguageModel } from '@recurrent/layers';
import type { TrainSpec } from '../workloads';

export function makeModel(spec: TrainSpec): LanguageModel {
  return new LanguageModel({
    cell: spec.cell,
    input: spec.input,
    embeddingDim: spec.embeddingDim,
    vocabSize: spec.vocab,
    hiddenSize: spec.hidden,
    numLayers: spec.layers,
    random: new Random(0),
  });
}
