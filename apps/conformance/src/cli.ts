#!/usr/bin/env node
// `pnpm conformance [DIR] [--route module|composed] [--threads N] [--cpu]`: every PyTorch case
// under DIR (default: @recurrent/fixtures' copy) on our module's route (the default) or, with
// `--route composed`, on the composed route (our module switched off: every op composed of tfjs
// ops). `--threads N` runs our kernels on N threads with every kernel cut between them, however
// small (the cases are small: at the default cutoff they would stay on one thread).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { init } from '@recurrent/core';
import { torchDir } from '@recurrent/fixtures';
import { setMinThreadWork, setModuleEnabled } from '@recurrent/core/tuning';
import { runConformance } from './runner';

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const backend = args.includes('--cpu') ? 'cpu' : 'wasm';
  const routeAt = args.indexOf('--route');
  const route = routeAt >= 0 ? args[routeAt + 1] : 'module';
  if (route !== 'module' && route !== 'composed') {
    console.error(`conformance: '--route' must be 'module' or 'composed', got ${JSON.stringify(route ?? null)}`);
    return 2;
  }
  const threadsAt = args.indexOf('--threads');
  const threads = threadsAt >= 0 ? Number(args[threadsAt + 1]) : undefined;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    console.error(`conformance: '--threads' must be a positive integer, got ${JSON.stringify(args[threadsAt + 1] ?? null)}`);
    return 2;
  }
  const positional = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--route' && args[i - 1] !== '--threads');
  const dir = resolve(process.env.INIT_CWD ?? process.cwd(), positional[0] ?? torchDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    console.error(`conformance: 'DIR' must be a directory of *.json cases, got "${dir}"`);
    return 2;
  }
  const info = await init({ backend, ...(threads === undefined ? {} : { threads }) });
  if (threads !== undefined) setMinThreadWork(1);
  setModuleEnabled(route === 'module');
  console.log(`route: ${route}, threads: ${info.threads}${threads !== undefined ? ' (every kernel cut)' : ''}`);
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
