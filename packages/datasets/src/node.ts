// `@recurrent/datasets/node`: corpora from files, URLs (downloaded once into a verified cache) and
// named corpora, and d2l's Time Machine. Node only; the main entry stays platform-neutral (in a
// browser, pass the text to `buildCorpus`; `loadMobyDick` works in both).
export { readTextFile, readBytes } from './loaders/text-file';
export { defaultCacheDir } from './loaders/cache-dir';
export { loadText, NAMED_CORPORA, type CorpusName, type TextSource } from './loaders/load-text';
export { downloadCached, loadUrl, hashBytes, type DownloadOptions } from './loaders/download';
export { loadTimeMachine, loadCorpusTimeMachine, TIME_MACHINE_URL, TIME_MACHINE_SHA1, type TimeMachineOptions } from './corpora/time-machine';
