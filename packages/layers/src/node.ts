// `@recurrent/layers/node`: checkpoint directories on disk, written atomically. Node only; the
// main entry stays platform-neutral (in a browser, `modelCheckpointFiles` and
// `modelFromCheckpointFiles` turn a model into the checkpoint's bytes and back).
export { writeCheckpointFiles, readCheckpointFile, recoverCheckpointDir, checkDir } from './checkpoint/directory';
export { writeModelCheckpoint, readModelCheckpoint } from './checkpoint/model-directory';
