import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '@recurrent/core';
import { readModelCheckpoint } from '@recurrent/layers/node';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoState } from '../web/protocol';

// The browser page end to end: build it, serve it with `vite preview`, drive Debian's Chromium.
const CHROMIUM = '/usr/bin/chromium';
const here = dirname(fileURLToPath(import.meta.url));
const appDir = join(here, '..');
const configFile = join(appDir, 'vite.config.ts');
const resultsDir = join(appDir, 'test-results');
const screenshot = join(resultsDir, 'browser.png');
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  console.warn(`browser test skipped: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`);
}

/** Clicks Generate and waits for the worker's answer. */
async function generate(page: Page): Promise<void> {
  const before = (await demoState(page)).generated.length;
  await page.click('#generate');
  await page.waitForFunction((n) => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo.generated.length > n, before, { timeout: 20_000 });
}

const demoState = (page: Page): Promise<DemoState> => page.evaluate(() => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo);

/** Waits until a run has stopped after at least `epochs` epochs, or reported an error. */
async function waitForRun(page: Page, epochs: number, timeout: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const s = (window as unknown as { recurrentDemo: DemoState }).recurrentDemo;
      return s.errors.length > 0 || (!s.training && s.epochs.length >= n);
    },
    epochs,
    { timeout, polling: 250 },
  );
}

describe.skipIf(!hasChromium)('browser page', () => {
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await build({ configFile, logLevel: 'error', build: { minify: false, reportCompressedSize: false } });
    server = await preview({ configFile, logLevel: 'error', preview: { host: '127.0.0.1', port: 0, strictPort: false } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 1400 }, acceptDownloads: true });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('vite preview did not report a URL');
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.httpServer.close(() => r()) : r()));
  });

  it('reports the WASM backend with SIMD, cross-origin isolated, our kernels on more than one thread', async () => {
    await page.waitForFunction(() => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo?.backend !== undefined, null, { timeout: 30_000 });
    const s = await demoState(page);
    expect(s.errors).toEqual([]);
    expect(s.backend).toMatchObject({ backend: 'wasm', simd: true, isolated: true, threadsFallback: null });
    // From the page's Web Worker our pool takes every core the browser reports.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(cores).toBeGreaterThan(1);
    expect(s.backend!.threads).toBe(Math.min(8, cores));
    expect(s.backend!.threads).toBeGreaterThan(1);
    await expect(page.locator('#backend').textContent()).resolves.toMatch(new RegExp(`WASM backend · SIMD · ${s.backend!.threads} threads · cross-origin isolated`));
  });

  it('trains to the same losses, bit for bit, on one thread (?threads=1) and on the pool', async () => {
    const url = server!.resolvedUrls!.local[0]!;
    const losses: number[][] = [];
    for (const query of ['?threads=1', '']) {
      const p = await browser!.newPage();
      try {
        await p.goto(`${url}${query}`);
        await p.waitForFunction(() => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo?.backend !== undefined, null, { timeout: 30_000 });
        const threads = (await demoState(p)).backend!.threads;
        expect(threads > 1).toBe(query === '');
        // hidden 64, batch 16: the sequence kernels are cut between the threads
        for (const [id, v] of [['#max-chars', '6000'], ['#hidden', '64'], ['#batch', '16'], ['#steps', '16'], ['#lr', '0.01'], ['#epochs', '2']] as const) await p.fill(id, v);
        await p.click('#train');
        await waitForRun(p, 2, 60_000);
        const s = await demoState(p);
        expect(s.errors).toEqual([]);
        losses.push(s.epochs.map((e) => e.loss));
      } finally {
        await p.close();
      }
    }
    expect(losses[0]).toHaveLength(2);
    expect(losses[1]).toEqual(losses[0]);
  });

  it('trains a few epochs with the loss going down, then generates text', async () => {
    await page.fill('#max-chars', '10000');
    await page.fill('#hidden', '64');
    await page.fill('#batch', '16');
    await page.fill('#steps', '24');
    await page.fill('#lr', '0.01');
    await page.fill('#epochs', '3');
    await page.click('#train');
    await waitForRun(page, 3, 60_000);
    const s = await demoState(page);
    expect(s.errors).toEqual([]);
    expect(s.epochs).toHaveLength(3);
    expect(s.epochs[2]!.loss).toBeLessThan(s.epochs[0]!.loss);
    expect(s.epochs.every((e) => e.tokensPerSecond > 0)).toBe(true);

    await page.fill('#prefix', 'The whale ');
    await page.fill('#gen-tokens', '120');
    await generate(page);
    const text = (await page.locator('#output').textContent()) ?? '';
    expect(text.startsWith('The whale ')).toBe(true);
    expect(text.length).toBeGreaterThan('The whale '.length + 60);

    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('downloads the checkpoint as config.json + model.safetensors and loads it back', async () => {
    const saved: string[] = [];
    const downloads = new Promise<void>((resolve) => {
      page.on('download', async (d) => {
        const path = join(resultsDir, d.suggestedFilename());
        await d.saveAs(path);
        saved.push(path);
        if (saved.length === 2) resolve();
      });
    });
    await page.click('#download');
    await downloads;
    expect(saved.map((p) => p.split('/').pop()).sort()).toEqual(['config.json', 'model.safetensors']);
    const config = JSON.parse(readFileSync(join(resultsDir, 'config.json'), 'utf8')) as { format: string; hiddenSize: number };
    expect(config).toMatchObject({ format: 'recurrent-lm/1', hiddenSize: 64 });

    // The same files load in Node, as the CLI's `generate --checkpoint` reads them.
    await init();
    const fromNode = await readModelCheckpoint(resultsDir);
    expect(fromNode.config.hiddenSize).toBe(64);
    fromNode.model.dispose();

    await page.setInputFiles('#load', saved);
    await page.waitForFunction(() => /^loaded /.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 10_000 });
    await page.fill('#prefix', 'Call me ');
    await page.fill('#gen-tokens', '40');
    await generate(page);
    await expect(page.locator('#output').textContent()).resolves.toMatch(/^Call me .{20,}/s);
  });

  it('stops training when asked', async () => {
    await page.fill('#epochs', '200');
    await page.click('#train');
    await page.waitForFunction(() => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo.epochs.length >= 1, null, { timeout: 30_000 });
    await page.click('#stop');
    await page.waitForFunction(() => !(window as unknown as { recurrentDemo: DemoState }).recurrentDemo.training, null, { timeout: 10_000 });
    await expect(page.locator('#status').textContent()).resolves.toBe('stopped');
    expect((await demoState(page)).epochs.length).toBeLessThan(200);
  });

  it('trains on pasted Chinese text split into words by jieba and continues a Chinese prefix', async () => {
    await page.fill('#paste', chineseText());
    await page.selectOption('#level', 'jieba');
    await page.fill('#hidden', '32');
    await page.fill('#batch', '8');
    await page.fill('#steps', '8');
    await page.fill('#epochs', '2');
    await page.click('#train');
    await waitForRun(page, 2, 30_000);
    const s = await demoState(page);
    expect(s.errors).toEqual([]);
    await expect(page.locator('#status').textContent()).resolves.toMatch(/done/);
    await page.fill('#prefix', '我们');
    await page.fill('#gen-tokens', '20');
    await generate(page);
    const text = (await page.locator('#output').textContent()) ?? '';
    expect(text.startsWith('我们')).toBe(true);
    // Chinese words from the vocabulary (the corpus's rare words are <unk>, which a model this
    // small may also predict): at least four Chinese characters, nothing else but <unk>.
    const continuation = text.slice('我们'.length);
    expect(continuation).toMatch(/^(?:[\u4e00-\u9fff，。]|<unk>)+$/u);
    expect(continuation.replaceAll('<unk>', '').length).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: join(resultsDir, 'browser-zh.png'), fullPage: true });
  });

  it('refuses a binary, an empty and a non-UTF-8 file with a message that says what to do', async () => {
    const choice = () => page.evaluate(() => document.querySelector<HTMLInputElement>('input[name="corpus"]:checked')?.value);
    const before = await choice();
    const refused = async (file: { name: string; mimeType: string; buffer: Buffer }, message: RegExp): Promise<void> => {
      const n = (await demoState(page)).errors.length;
      await page.setInputFiles('#file', file);
      await page.waitForFunction((k) => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo.errors.length > k, n, { timeout: 10_000 });
      const s = await demoState(page);
      expect(s.errors.at(-1)).toMatch(message);
      await expect(page.locator('#status').textContent()).resolves.toBe(`error: ${s.errors.at(-1)}`);
    };
    await refused({ name: 'picture.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]) }, /^picture\.png looks binary \(a NUL byte at offset 8\), not text; choose a UTF-8 text file$/);
    await refused({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) }, /^empty\.txt is empty; give a text file with some text in it$/);
    await refused({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('caf\xe9 cr\xe8me\n', 'latin1') }, /^notes\.txt is not UTF-8 text \(invalid byte at offset 3\); save it as UTF-8/);
    // Nothing was taken: the corpus choice is what it was.
    expect(await choice()).toBe(before);
  });

  it('reports a crashed worker, and trains again without a reload', async () => {
    await page.fill('#paste', '');
    await page.check('input[name="corpus"][value="builtin"]');
    await page.selectOption('#level', 'char');
    for (const [id, value] of Object.entries({ 'max-chars': '10000', hidden: '32', batch: '8', steps: '16', epochs: '100' })) await page.fill(`#${id}`, value);
    const epochs = (await demoState(page)).epochs.length;
    await page.click('#train');
    await page.waitForFunction((n) => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo.epochs.length > n, epochs, { timeout: 30_000 });
    // A real crash: an error nobody catches, thrown in the worker while it trains.
    const worker = page.workers().find((w) => /worker/.test(w.url()));
    expect(worker, 'the training worker').toBeDefined();
    await worker!.evaluate(() => void setTimeout(() => {
      throw new Error('simulated crash');
    }, 0));
    await page.waitForFunction(() => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo.crashes > 0, null, { timeout: 10_000 });
    let s = await demoState(page);
    expect(s.training).toBe(false);
    expect(s.errors.at(-1)).toMatch(/^the training worker crashed \(.*simulated crash\); the model it held is lost\. A new worker is starting: press Train to start again$/);
    // A new worker comes up by itself; Train works again, on the same page.
    await page.waitForFunction(() => !(document.getElementById('train') as HTMLButtonElement).disabled, null, { timeout: 30_000 });
    await expect(page.locator('#status').textContent()).resolves.toBe('a new worker is ready: press Train to start again');
    const errors = s.errors.length;
    await page.fill('#epochs', '1');
    await page.click('#train');
    await page.waitForFunction(() => /^done/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 30_000 });
    s = await demoState(page);
    expect(s.errors).toHaveLength(errors);
    expect(s.crashes).toBe(1);
    expect(s.epochs.at(-1)!.epoch).toBe(1);
    await generate(page);
    expect(pageErrors).toEqual([]);
  });
});

/** A small Chinese corpus written for this test: simple sentences in a few combinations. */
function chineseText(): string {
  const subjects = ['我们', '他们', '老师', '学生', '孩子们'];
  const verbs = ['喜欢', '每天', '常常', '今天'];
  const objects = ['在公园里散步', '去图书馆看书', '一起学习中文', '在河边画画', '听音乐唱歌'];
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    lines.push(`${subjects[i % 5]}${verbs[(i * 3) % 4]}${objects[(i * 7) % 5]}，天气很好。`);
  }
  return lines.join('');
}
