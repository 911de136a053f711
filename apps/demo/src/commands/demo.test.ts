import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoOptions } from './demo';

describe('recurrent demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains on the default corpus offline, reports epochs, plots, saves a checkpoint and generates', async () => {
    const out = join(dir, 'ckpt');
    const options: DemoOptions = {
      minutes: 0.1,
      epochs: 2,
      cell: 'gru',
      hidden: 16,
      layers: 1,
      batch: 4,
      steps: 8,
      lr: 0.01,
      clip: 1,
      seed: 0,
      out,
      tokens: 30,
      prefix: ['Call me '],
      temperature: [0.6, 1],
      backend: 'wasm',
    };
    let text = '';
    await runDemo(options, (s) => (text += s));
    expect(text).toMatch(/backend wasm with SIMD/);
    expect(text).toMatch(/corpus: Moby-Dick/);
    expect(text).toMatch(/^epoch 1\/2 {2}perplexity \d+\.\d+ {2}loss \d+\.\d+ {2}[\d,]+ tokens\/s/m);
    expect(text).toMatch(/^epoch 2\/2 /m);
    expect(text).toMatch(/training perplexity/);
    expect(text).toMatch(/--- temperature 0.6 ---\nCall me /);
    expect(text).toMatch(/--- temperature 1 ---\nCall me /);
    expect(text).toContain(`checkpoint saved to ${out}`);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ format: 'recurrent-lm/1', cell: 'gru', hiddenSize: 16, tokenizer: { level: 'char', preprocess: 'none' } });
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
  });
});
