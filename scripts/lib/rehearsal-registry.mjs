// The release rehearsal's own registry: Verdaccio (the pinned devDependency) on 127.0.0.1 with a
// throwaway storage, accepting anonymous publishes of @recurrent/* and proxying nothing, so what
// the consumers install under that scope is exactly what was published. Everything else they
// install comes from the real npm registry: they set `@recurrent:registry` only.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { root } from './release-copy.mjs';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts Verdaccio in `dir` (config, storage and log go there) and waits until it answers.
 * Returns `{ url, log, stop() }`; `stop` is idempotent and also safe to call from an exit handler.
 */
export async function startVerdaccio(dir, { timeoutMs = 60_000 } = {}) {
  const manifest = createRequire(join(root, 'package.json')).resolve('verdaccio/package.json');
  const entry = join(dirname(manifest), JSON.parse(readFileSync(manifest, 'utf8')).bin);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yaml');
  // No `uplinks` and no `proxy`: a miss is a 404, never a package from elsewhere. `$all` lets the
  // anonymous user publish (the publishing client still needs some token: see the caller).
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
      '    max_users: -1',
      'uplinks: {}',
      'packages:',
      "  '@recurrent/*':",
      '    access: $all',
      '    publish: $all',
      '    unpublish: $all',
      'web:',
      '  enable: false',
      'max_body_size: 200mb',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const log = join(dir, 'verdaccio.log');
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, [entry, '--config', config, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', out, out], env: { ...process.env, NO_COLOR: '1' } });
  let exited = null;
  child.on('exit', (code, signal) => (exited = signal ?? code));
  const stop = () =>
    new Promise((resolveStop) => {
      if (exited !== null) return resolveStop();
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => (clearTimeout(force), resolveStop()));
      child.kill('SIGTERM');
    });
  const killNow = () => exited === null && child.kill('SIGKILL');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`verdaccio exited (${exited}) before answering:\n${readFileSync(log, 'utf8').trim().split('\n').slice(-10).join('\n')}`);
    const ok = await globalThis.fetch(`${url}-/ping`).then((r) => r.ok, () => false);
    if (ok) return { url, log, stop, killNow, pid: child.pid };
    await new Promise((r) => setTimeout(r, 200));
  }
  killNow();
  throw new Error(`verdaccio did not answer on ${url} within ${timeoutMs / 1000} s`);
}
