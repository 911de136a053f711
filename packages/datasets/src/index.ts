export { NotUtf8Error, ChecksumError, DownloadError } from './errors/dataset-errors';
export { decodeUtf8, firstInvalidUtf8 } from './loaders/utf8';
export { loadMobyDick } from './corpora/moby-dick';
export { buildCorpus, type Corpus, type BuildCorpusOptions } from './corpus/build-corpus';
export { batchToTensors, type Batch, type BatchSampler } from './samplers/batch';
export { randomBatches, sequentialBatches, type StreamSamplerOptions } from './samplers/stream-batches';
export { paddedBatches, type PaddedBatchesOptions } from './samplers/padded-batches';
export { trainValidSplit, type SplitOptions } from './samplers/split';
