// A Node process whose kernels ran on the pool exits by itself when its work is done: the pool's
// worker threads never keep it alive (they are unref'd and end with the process). The program
// below is bundled with core (esbuild, as an app would be) and run in a child process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const core = fileURLToPath(new URL('../index.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'recurrent-threads-exit-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const program = `
import { init, lstmSequence, tf } from ${JSON.stringify(core)};
async function main() {
  const info = await init({ threads: 2 });
  const a = tf.randomUniform([512, 512]);
  const product = tf.matMul(a, a); // our GEMM, split between the two threads
  const x = tf.randomUniform([20, 32, 16]);
  const h = tf.zeros([32, 64]);
  const w = () => tf.randomUniform([256, 64], -0.1, 0.1);
  const r = lstmSequence(x, h, h, tf.randomUniform([256, 16], -0.1, 0.1), w(), null, null);
  console.log(JSON.stringify({ threads: info.threads, finite: Number.isFinite(tf.sum(product).dataSync()[0] + tf.sum(r.output).dataSync()[0]) }));
}
main();
`;

if (availableParallelism() < 2)
  console.warn(
    `skipped: a process with a pool needs 2 cores, this machine has ${availableParallelism()}`,
  );
describe.skipIf(availableParallelism() < 2)('a Node process using the pool', () => {
  it('exits on its own, with code 0, once its work is done', async () => {
    const entry = join(dir, 'main.ts');
    writeFileSync(entry, program);
    await build({
      entryPoints: [entry],
      outfile: join(dir, 'main.cjs'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      conditions: ['@recurrent/source'],
      logLevel: 'silent',
      plugins: [
        {
          // tfjs-core's gradient registrations import without extensions (as vitest's inlining allows)
          name: 'tfjs-extensionless',
          setup(b) {
            b.onResolve({ filter: /^\.\.?\// }, async (args) => {
              if (!/tfjs-core[\\/]dist/.test(args.importer) || /\.js$/.test(args.path))
                return undefined;
              const r = await b.resolve(`${args.path}.js`, {
                kind: args.kind,
                resolveDir: args.resolveDir,
              });
              return r.errors.length ? undefined : { path: r.path };
            });
          },
        },
      ],
    });
    const t0 = performance.now();
    const child = spawnSync(process.execPath, [join(dir, 'main.cjs')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const seconds = (performance.now() - t0) / 1000;
    expect(child.error).toBeUndefined(); // no timeout: it did not hang
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout.trim().split('\n').at(-1)!)).toEqual({
      threads: 2,
      finite: true,
    });
    expect(seconds).toBeLessThan(60);
  });
});
