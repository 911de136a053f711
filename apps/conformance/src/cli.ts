#!/usr/bin/env node
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '@recurrent/core';
import { runConformance } from './runner';

const here = dirname(fileURLToPath(import.meta.url));
const defaultDir = resolve(here, '../fixtures/torch');

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const backend = args.includes('--cpu') ? 'cpu' : 'wasm';
  const dir = resolve(process.env.INIT_CWD ?? process.cwd(), args.find((a) => !a.startsWith('--')) ?? defaultDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    console.error(`conformance: 'DIR' must be a directory of *.json cases, got "${dir}"`);
    return 2;
  }
  await init({ backend });
  const { failed, passed } = await runConformance(dir);
  return failed > 0 || passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(process.argv.includes('--debug') ? e : `conformance: ${(e as Error).message}`);
    process.exit(1);
  },
);
