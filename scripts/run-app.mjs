#!/usr/bin/env node
// Runs one of the workspace's command-line apps on a fresh build, printing only the app's output:
//   node scripts/run-app.mjs <package> <script> [args...]
// builds <package> and what it depends on with turbo (cached; turbo's own lines are shown only
// when the build fails), then runs `node <script> args...` with this terminal, passing on its exit
// code and Ctrl-C. `pnpm recurrent`, `pnpm demo`, `pnpm conformance` and `pnpm bench` use it.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [pkg, script, ...args] = process.argv.slice(2);
if (!pkg || !script) {
  process.stderr.write('usage: node scripts/run-app.mjs <package> <script> [args...]\n');
  process.exit(2);
}

const turbo = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'turbo.cmd' : 'turbo');
const build = spawnSync(turbo, ['run', 'build', `--filter=${pkg}...`, '--output-logs=errors-only'], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
  shell: process.platform === 'win32',
});
if (build.status !== 0) {
  process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? `${build.error.message}\n` : ''}`);
  process.stderr.write(`run-app: building ${pkg} failed\n`);
  process.exit(build.status ?? 1);
}

const child = spawn(process.execPath, [...process.execArgv, join(root, script), ...args], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
