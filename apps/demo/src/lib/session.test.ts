import { assertNoLeak, init } from '@recurrent/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkpointFiles, sessionFromCheckpoint } from './checkpoint';
import { DEFAULT_SESSION, type SessionConfig } from './session-config';
import { TrainingSession } from './session';

const TEXT = 'the cat sat on the mat. the dog sat on the log. '.repeat(20);
const SMALL: SessionConfig = { ...DEFAULT_SESSION, cell: 'lstm', hiddenSize: 16, batchSize: 4, numSteps: 8, lr: 0.02 };

describe('TrainingSession', () => {
  beforeAll(async () => {
    await init();
  });

  it('lowers the loss over epochs and stops early on maxBatches and on an aborted signal', async () => {
    const s = await TrainingSession.create(TEXT, SMALL);
    try {
      expect(s.vocab.size).toBe(new Set(TEXT).size + 1); // + <unk>
      const first = await s.trainEpoch();
      expect(first.batches).toBe(s.batchesPerEpoch);
      let last = first;
      for (let i = 0; i < 3; i++) last = await s.trainEpoch();
      expect(last.loss).toBeLessThan(first.loss);
      expect(last.perplexity).toBeCloseTo(Math.exp(last.loss), 6);
      expect((await s.trainEpoch({ maxBatches: 3 })).batches).toBe(3);
      const controller = new AbortController();
      const aborted = await s.trainEpoch({ signal: controller.signal, onBatch: (p) => p.batch === 2 && controller.abort() });
      expect(aborted.batches).toBe(2);
    } finally {
      s.dispose();
    }
  });

  it('sizes epochs with limitCorpus', async () => {
    const s = await TrainingSession.create(TEXT, SMALL);
    try {
      const all = s.batchesPerEpoch;
      s.limitCorpus(300);
      expect(s.corpusTokens).toBe(300);
      expect(s.batchesPerEpoch).toBeLessThan(all);
      expect((await s.trainEpoch()).batches).toBe(s.batchesPerEpoch);
    } finally {
      s.dispose();
    }
  });

  it('refuses a text too short for one batch with a typed error', async () => {
    await expect(TrainingSession.create('abc', SMALL)).rejects.toThrow(/TrainingSession: 'text' must be at least 73 tokens/);
  });

  it('saves a checkpoint that loads back and generates the same text for the same seed', async () => {
    const s = await TrainingSession.create(TEXT, SMALL);
    try {
      await s.trainEpoch();
      const files = checkpointFiles(s);
      expect(JSON.parse(files.config)).toMatchObject({ format: 'recurrent-lm/1', cell: 'lstm', hiddenSize: 16, input: 'one-hot' });
      const loaded = sessionFromCheckpoint(files.config, files.weights);
      try {
        const options = { tokens: 30, temperature: 0.8, seed: 1 };
        const a = await s.generate('the ', options);
        expect(a.startsWith('the ')).toBe(true);
        expect(a).toHaveLength(34);
        expect(await loaded.generate('the ', options)).toBe(a);
        expect(await s.generate('the ', { ...options, seed: 8 })).not.toBe(a);
      } finally {
        loaded.dispose();
      }
    } finally {
      s.dispose();
    }
  });

  it('trains an epoch and generates without leaking tensors', async () => {
    const s = await TrainingSession.create(TEXT, SMALL);
    try {
      await assertNoLeak(async () => {
        await s.trainEpoch({ maxBatches: 4 });
        await s.generate('the ', { tokens: 10, temperature: 1 });
      }, { label: 'session' });
    } finally {
      s.dispose();
    }
  });
});
