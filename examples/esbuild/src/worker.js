// The Web Worker: all the model work happens here (src/lm.js), off the page's main thread. It
// answers one message { prefix, checkpoint?, checkpointPrefix?, tokens? } with a stream of
// { type, value } messages: backend, corpus, epoch (one per epoch), text, checkpoint, done | error.
import { complete, loadCheckpoint, mobyDickCorpus, startBackend, trainModel } from './lm.js';

const post = (type, value) => self.postMessage({ type, value });

self.onmessage = async ({ data }) => {
  try {
    post('backend', await startBackend());
    const { corpus, summary } = await mobyDickCorpus();
    post('corpus', summary);
    const trained = await trainModel(corpus, { onEpoch: (stats) => post('epoch', stats) });
    post('text', await complete(trained.generator, data.prefix));
    trained.dispose();
    if (data.checkpoint) {
      const loaded = await loadCheckpoint(data.checkpoint);
      post('checkpoint', { url: data.checkpoint, text: await complete(loaded.generator, data.checkpointPrefix, data.tokens) });
      loaded.dispose();
    }
    post('done');
  } catch (error) {
    post('error', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }
};
