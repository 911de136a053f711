// Greedy continuations from a checkpoint directory (recurrent-lm/1: config.json and
// model.safetensors, e.g. one PyTorch wrote, or `recurrent train --out DIR`), with
// @recurrent/generate alone.
//
//   node index.mjs CHECKPOINT_DIR [--tokens N] [PREFIX ...]
//
// Prints one line per prefix: the prefix followed by N greedily generated tokens.
import { parseArgs } from 'node:util';
import { loadGenerator } from '@recurrent/generate/node';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { tokens: { type: 'string', default: '50' } } });
const [dir, ...prefixes] = positionals;
const maxTokens = Number(values.tokens);
if (!dir || !Number.isInteger(maxTokens) || maxTokens < 1) {
  console.error('usage: node index.mjs CHECKPOINT_DIR [--tokens N] [PREFIX ...]');
  process.exit(2);
}

const { generator, dispose } = await loadGenerator(dir);
try {
  for (const prefix of prefixes.length > 0 ? prefixes : ['the ']) {
    const { text } = await generator.generate(prefix, { maxTokens, strategy: 'greedy' });
    console.log(text);
  }
} finally {
  dispose();
}
