// The code of the consumer projects under examples/ (Vite and webpack pages), run in Node: the
// model module their Web Worker calls, examples/vite/src/lm.js, is platform-neutral, so the same
// file trains, generates and loads a checkpoint by URL here. The release rehearsal runs the pages
// themselves in Chromium, installed from a registry.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointDir } from '@recurrent/fixtures';
// @ts-expect-error -- a plain JavaScript module of an example project (no type declarations)
import { complete, loadCheckpoint, mobyDickCorpus, startBackend, trainModel } from '../../../examples/vite/src/lm.js';

/** A fetch that serves a checkpoint directory from disk, as a web server would serve it by URL. */
function serveDirectory(url: string, dir: string) {
  return async (requested: string): Promise<Response> => {
    const name = requested.startsWith(`${url}/`) ? requested.slice(url.length + 1) : '';
    if (name !== 'config.json' && name !== 'model.safetensors') return new Response('not found', { status: 404 });
    return new Response(readFileSync(join(dir, name)));
  };
}

export async function main(): Promise<void> {
  // What the page's worker does, step by step (examples/vite/src/worker.js).
  const info = await startBackend();
  console.log(`backend ${info.backend}, SIMD ${info.simd}, tfjs binary ${info.binary}, fallback ${info.fallback?.reason ?? 'none'}`);
  const { corpus, summary } = await mobyDickCorpus();
  console.log(summary);
  const trained = await trainModel(corpus, {
    onEpoch: ({ epoch, loss, perplexity }: { epoch: number; loss: number; perplexity: number }) =>
      console.log(`epoch ${epoch}: loss ${loss.toFixed(3)}, perplexity ${perplexity.toFixed(2)}`),
  });
  console.log(await complete(trained.generator, 'the whale'));
  trained.dispose();

  // Loading a checkpoint by URL: a page passes its URL (fetchGenerator under the hood); here a
  // fetch serves the PyTorch-trained checkpoint tm-lstm-onehot from disk under that URL.
  const url = 'https://models.example.org/tm-lstm-onehot';
  const loaded = await loadCheckpoint(url, { fetch: serveDirectory(url, checkpointDir('tm-lstm-onehot')) });
  console.log(await complete(loaded.generator, 'time traveller', 50));
  loaded.dispose();
}
