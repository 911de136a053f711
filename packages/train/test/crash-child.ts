// A child process for the crash test: it saves training checkpoints into a directory and is
// killed (SIGKILL) by the test while it writes. `hang DIR`: save step 1, then assemble step 2 and
// stop before the swap (printing `assembled 2`); `loop DIR`: save steps 1, 2, 3, … until killed.
import { init, manualSeed, tf } from '@recurrent/core';
import { LanguageModel } from '@recurrent/layers';
import { SGD, Trainer } from '../src/index';
import { saveCheckpoint } from '../src/node';

const [mode, dir] = process.argv.slice(2) as ['hang' | 'loop', string];
await init();
manualSeed(0);
// Large files (a 3,000-token embedding and head: about 1 MB with the momentum) and cheap steps, so
// most of the child's time is spent writing.
const V = 3000;
const model = new LanguageModel({ cell: 'gru', input: 'embedding', embeddingDim: 64, vocabSize: V, hiddenSize: 16 });
const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
const trainer = new Trainer({ model, optimizer });
const meta = { tokenizer: { level: 'word' as const, preprocess: 'none' as const }, vocab: { tokens: Array.from({ length: V }, (_, i) => `w${i}`), unk: null } };
const batch = { x: Int32Array.from({ length: 64 }, (_, i) => (i * 37) % V), y: Int32Array.from({ length: 64 }, (_, i) => (i * 37 + 1) % V), shape: [4, 16] as [number, number] };

async function step(): Promise<void> {
  const r = trainer.trainStep(batch, null);
  tf.dispose([r.state.h]);
}

await step();
await saveCheckpoint(dir, { model, optimizer, trainer: trainer.getState(), ...meta });
process.stdout.write('saved 1\n');
if (mode === 'hang') {
  await step();
  await saveCheckpoint(dir, {
    model,
    optimizer,
    trainer: trainer.getState(),
    ...meta,
    beforeSwap: async () => {
      process.stdout.write('assembled 2\n');
      // Killed here, with the new directory complete and not swapped in (the timer keeps the process up).
      await new Promise(() => setInterval(() => {}, 1000));
    },
  });
} else {
  for (;;) {
    await step();
    await saveCheckpoint(dir, { model, optimizer, trainer: trainer.getState(), ...meta });
    process.stdout.write(`saved ${trainer.step}\n`);
  }
}
