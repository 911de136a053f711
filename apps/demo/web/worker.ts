/// <reference lib="webworker" />
import { init } from '@recurrent/core';
import { TrainingSession } from '../src/lib/session';
import { checkpointFiles, sessionFromCheckpoint } from '../src/lib/checkpoint';
import type { FromWorker, ToWorker } from './protocol';

// Trains and samples off the page's main thread; the page only draws.
const scope = self as unknown as DedicatedWorkerGlobalScope;
let session: TrainingSession | undefined;
let stopRequested = false;
let busy = false;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** Gives the worker's message loop a turn, so `stop` arrives during training. */
const breathe = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init': {
      // No configuration: the WASM binaries come from @recurrent/core's own modules. From this
      // Web Worker of a cross-origin-isolated page, our kernels' pool takes every core.
      const info = await init(msg.threads === undefined ? {} : { threads: msg.threads });
      post({ type: 'ready', backend: info.backend, simd: info.simd, threads: info.threads, isolated: scope.crossOriginIsolated === true, fallback: info.fallback?.message ?? null, threadsFallback: info.threadsFallback?.message ?? null });
      return;
    }
    case 'stop':
      stopRequested = true;
      return;
    case 'train': {
      if (busy) throw new Error('already training');
      busy = true;
      stopRequested = false;
      try {
        session?.dispose();
        session = undefined;
        session = await TrainingSession.create(msg.text, msg.config);
        post({ type: 'prepared', tokens: session.ids.length, vocabSize: session.vocab.size, batchesPerEpoch: session.batchesPerEpoch });
        for (let e = 1; e <= msg.epochs && !stopRequested; e++) {
          let lastPost = 0;
          const stats = await session.trainEpoch({
            yieldEvery: breathe,
            signal: { get aborted() { return stopRequested; } } as AbortSignal,
            onBatch: (progress) => {
              const t = performance.now();
              if (t - lastPost > 100 || progress.batch === progress.batches) {
                lastPost = t;
                post({ type: 'batch', epoch: e, progress });
              }
            },
          });
          if (stats.batches > 0) post({ type: 'epoch', stats, epochs: msg.epochs });
          if (!Number.isFinite(stats.loss)) throw new Error(`the loss became ${stats.loss}; try a smaller learning rate`);
        }
        post({ type: 'done', stopped: stopRequested });
      } finally {
        busy = false;
      }
      return;
    }
    case 'generate': {
      if (!session) throw new Error('train or load a model first');
      const text = await session.generate(msg.prefix, msg);
      post({ type: 'generated', prefix: msg.prefix, text });
      return;
    }
    case 'save': {
      if (!session) throw new Error('train or load a model first');
      const files = checkpointFiles(session);
      post({ type: 'checkpoint', config: files.config, weights: files.weights }, [files.weights.buffer]);
      return;
    }
    case 'load': {
      if (busy) throw new Error('stop training before loading a checkpoint');
      session?.dispose();
      session = undefined;
      session = await sessionFromCheckpoint(msg.config, msg.weights);
      const c = session.config;
      post({ type: 'loaded', description: `${c.cell.toUpperCase()} hidden ${c.hiddenSize} × ${c.numLayers}, vocabulary ${session.vocab.size} (${c.tokenizer.level})` });
      return;
    }
  }
}

// Messages run one after another, except `stop`, which must reach a running `train`.
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  if (msg.type === 'stop') {
    stopRequested = true;
    return;
  }
  queue = queue.then(() =>
    handle(msg).catch((error: unknown) => {
      post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }),
  );
};
