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

/** Serves `dir` on 127.0.0.1 (a free port); `index.html` for directories. Returns `{ url, close() }`. */
export function serveStatic(dir) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(dir, path));
    if (file !== dir && !file.startsWith(dir + sep)) return void res.writeHead(403).end();
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
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
