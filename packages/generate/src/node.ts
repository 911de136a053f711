// `@recurrent/generate/node`: loading a checkpoint directory from disk. Node only; the main entry
// stays platform-neutral (in a browser, `fetchGenerator(url)` or `generatorFromCheckpointFiles`).
export { loadGenerator } from './load/load-generator-dir';
