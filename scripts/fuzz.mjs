#!/usr/bin/env node
// `pnpm fuzz [--seconds N] [--seed S] [--target NAME]`: the fuzz properties of
// scripts/test/fuzz.test.ts (what `pnpm test` runs with a fixed seed and a few hundred inputs per
// target) for N seconds in all (default 120, split between the targets) with a random seed, or S
// to replay one. It prints the seed first, the inputs each target ran at the end, and, for a
// failure, the seed and the command that replays it (fast-check shrinks the input and prints it).
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const usage = 'usage: pnpm fuzz [--seconds N] [--seed S] [--target NAME]';
const options = { seconds: '120', seed: String(randomInt(2 ** 31 - 1)), target: '' };
for (let i = 0; i < args.length; i++) {
  const key = args[i]?.replace(/^--/, '');
  if (args[i] === '--') continue;
  if (!key || !(key in options) || args[i + 1] === undefined) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  options[key] = args[++i];
}
const seconds = Number(options.seconds);
if (!Number.isFinite(seconds) || seconds <= 0 || !/^\d+$/.test(options.seed)) {
  process.stderr.write(`fuzz: --seconds must be a positive number and --seed a non-negative integer\n${usage}\n`);
  process.exit(2);
}
process.stdout.write(`fuzz: seed ${options.seed}, ${seconds} s${options.target ? `, target ${options.target}` : ' over every target'}\n`);

const vitest = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'vitest.cmd' : 'vitest');
const child = spawn(vitest, ['run', 'scripts/test/fuzz.test.ts', `--testTimeout=${Math.ceil(seconds * 1000 + 600_000)}`], {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32',
  env: { ...process.env, RECURRENT_FUZZ_SEED: options.seed, RECURRENT_FUZZ_SECONDS: String(seconds), ...(options.target ? { RECURRENT_FUZZ_TARGET: options.target } : {}) },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (code !== 0) process.stderr.write(`fuzz: failed (seed ${options.seed}); replay with: pnpm fuzz --seed ${options.seed} --seconds ${seconds}${options.target ? ` --target ${options.target}` : ''}\n`);
  process.exit(code ?? (signal ? 1 : 0));
});
