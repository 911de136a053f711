// The release rehearsal's browser side: Debian's Chromium through playwright-core (a browser
// download cannot work here), a static file server for bundles that come without one (webpack's
// CLI), and the check of the example page (examples/vite/src/index.js keeps its state in
// `window.recurrentExample`).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { URL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (install it with: apt-get install -y chromium)`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/**
 * Serves `dir` on 127.0.0.1 (a free port); `index.html` for directories; `headers` on every
 * response (e.g. a Content-Security-Policy). Returns `{ url, close() }`.
 */
export function serveStatic(dir, headers = {}) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(dir, path));
    if (file !== dir && !file.startsWith(dir + sep)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolveServe, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolveServe({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/**
 * Opens the example page at `url` and waits until its worker is done (or failed). Returns the
 * problems found (empty when it passed) and a one-line account of what it showed: init() reported
 * wasm with SIMD, the loss fell from the first epoch to the last, generated text appeared, and,
 * when `checkpoint` is given, the checkpoint loaded by URL continued its prefix to exactly
 * `checkpoint.text`.
 */
export async function checkPage(browser, url, { checkpoint, timeoutMs = 180_000 } = {}) {
  const page = await browser.newPage();
  const pageErrors = [];
  const requests = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  // What the page and its worker downloaded (response bodies; the servers here do not compress).
  let loaded = 0;
  page.on('response', (r) => void r.body().then((body) => (loaded += body.length), () => undefined));
  try {
    await page.goto(url);
    await page
      .waitForFunction(() => globalThis.recurrentExample?.done || globalThis.recurrentExample?.error, null, { timeout: timeoutMs, polling: 250 })
      .catch(() => undefined);
    const s = await page.evaluate(() => globalThis.recurrentExample ?? null);
    const problems = [];
    if (!s) return { problems: ['the page set no window.recurrentExample (did its script load?)', ...pageErrors], summary: '' };
    if (s.error) problems.push(`the page reported: ${s.error}`);
    else if (!s.done) problems.push(`not done after ${timeoutMs / 1000} s`);
    problems.push(...pageErrors.map((e) => `page error: ${e}`));
    const b = s.backend;
    if (!b || b.backend !== 'wasm' || b.simd !== true) problems.push(`init() reported ${JSON.stringify(b)}, expected wasm with SIMD`);
    const losses = s.epochs.map((e) => e.loss);
    if (losses.length < 2 || !(losses.at(-1) < losses[0])) problems.push(`the loss did not fall: ${losses.map((l) => l.toFixed(3)).join(' -> ') || 'no epochs'}`);
    if (typeof s.text !== 'string' || s.text.trim().length === 0) problems.push('no generated text');
    if (checkpoint && s.checkpoint?.text !== checkpoint.text) {
      problems.push(`checkpoint by URL: ${JSON.stringify(s.checkpoint?.text)}, expected ${JSON.stringify(checkpoint.text)}`);
    }
    const backend = b ? `init() ${b.backend}${b.simd ? '+SIMD' : ''} (${b.binary})` : 'no backend';
    const wasm = requests.filter((p) => p.endsWith('.wasm'));
    const summary = [
      `${backend}, ${s.epochs.length} epochs in ${s.epochs.reduce((t, e) => t + e.seconds, 0).toFixed(1)} s, loss ${losses.map((l) => l.toFixed(2)).join(' -> ')}`,
      `text ${JSON.stringify(s.text)}`,
      ...(checkpoint ? [`checkpoint by URL ${s.checkpoint?.text === checkpoint.text ? 'exact' : 'differs'}`] : []),
      `${requests.length} requests, ${(loaded / 1024 / 1024).toFixed(2)} MB loaded, ${wasm.length ? `.wasm fetched: ${wasm.join(' ')}` : 'no .wasm fetched'}`,
    ].join('; ');
    return { problems, summary };
  } finally {
    await page.close();
  }
}

/**
 * Opens the example page at `url`, served with a Content Security Policy that does not allow
 * WebAssembly, and checks that init() says so instead of falling back silently: the worker
 * reports the cpu backend with `fallback.reason` 'csp', and the console shows exactly one
 * warning from @recurrent/core. Returns `{ problems, summary }`.
 */
export async function checkCspPage(browser, url, { timeoutMs = 60_000 } = {}) {
  const page = await browser.newPage();
  const warnings = [];
  page.on('console', (m) => {
    if (m.text().includes('@recurrent/core')) warnings.push(`${m.type()}: ${m.text()}`);
  });
  page.on('worker', (worker) => worker.on?.('console', (m) => warnings.push(`${m.type()}: ${m.text()}`)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => globalThis.recurrentExample?.backend || globalThis.recurrentExample?.error, null, { timeout: timeoutMs, polling: 100 }).catch(() => undefined);
    // The warning is printed right after init() returns: give the console event a moment.
    await page.waitForTimeout(500);
    const s = await page.evaluate(() => globalThis.recurrentExample ?? null);
    const b = s?.backend;
    const problems = [];
    if (!b) problems.push(`no backend reported${s?.error ? `: ${s.error}` : ''}`);
    else if (b.backend !== 'cpu' || b.fallback?.reason !== 'csp') problems.push(`init() reported ${JSON.stringify(b)}, expected cpu with fallback.reason 'csp'`);
    const ours = [...new Set(warnings)].filter((w) => w.includes('@recurrent/core'));
    if (ours.length !== 1) problems.push(`${ours.length} console warnings from @recurrent/core, expected 1: ${ours.join(' | ')}`);
    return { problems, summary: b ? `init() ${b.backend}, fallback ${b.fallback?.reason}: ${ours[0] ?? ''}` : '' };
  } finally {
    await page.close();
  }
}
