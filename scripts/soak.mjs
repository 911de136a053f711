#!/usr/bin/env node
// `pnpm soak [--steps N] [--every K] [--hidden H]`: the soak test of scripts/test/soak.test.ts at
// full length (default 20,000 steps with a checkpoint every 1,000, a character LSTM of hidden size
// 64): the live tensor count stays the same, RSS within 10% of its value at the first checkpoint,
// and every checkpoint loads. `pnpm test` runs the same test for 400 steps. Prints the figures.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const options = { steps: '20000', every: '1000', hidden: '64' };
const args = process.argv.slice(2).filter((a) => a !== '--');
for (let i = 0; i < args.length; i += 2) {
  const key = args[i]?.replace(/^--/, '');
  if (!key || !(key in options) || !/^\d+$/.test(args[i + 1] ?? '')) {
    process.stderr.write('usage: pnpm soak [--steps N] [--every K] [--hidden H] (positive integers, K dividing N)\n');
    process.exit(2);
  }
  options[key] = args[i + 1];
}
if (Number(options.steps) % Number(options.every) !== 0 || Number(options.every) === 0) {
  process.stderr.write('soak: --every must divide --steps\n');
  process.exit(2);
}
const vitest = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'vitest.cmd' : 'vitest');
const child = spawn(vitest, ['run', 'scripts/test/soak.test.ts', '--testTimeout=7200000'], {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32',
  env: { ...process.env, RECURRENT_SOAK_STEPS: options.steps, RECURRENT_SOAK_EVERY: options.every, RECURRENT_SOAK_HIDDEN: options.hidden },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
