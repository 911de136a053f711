import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The browser page end to end: build it, serve it with `vite preview`, drive Debian's Chromium.
const CHROMIUM = '/usr/bin/chromium';
const here = dirname(fileURLToPath(import.meta.url));
const appDir = join(here, '..');
const configFile = join(appDir, 'vite.config.ts');
const screenshot = join(appDir, 'test-results', 'browser.png');
const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  console.warn(`browser test skipped: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`);
}

interface DemoState {
  backend?: { backend: string; simd: boolean; threads: number; isolated: boolean };
  epochs: { epoch: number; loss: number; perplexity: number; tokensPerSecond: number }[];
  training: boolean;
  generated: string[];
  errors: string[];
}

const demoState = (page: Page): Promise<DemoState> => page.evaluate(() => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo);

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
    page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('vite preview did not report a URL');
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.httpServer.close(() => r()) : r()));
  });

  it('reports the WASM backend with SIMD, cross-origin isolated', async () => {
    await page.waitForFunction(() => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo?.backend !== undefined, null, { timeout: 30_000 });
    const s = await demoState(page);
    expect(s.errors).toEqual([]);
    expect(s.backend).toMatchObject({ backend: 'wasm', simd: true, isolated: true });
    await expect(page.locator('#backend').textContent()).resolves.toMatch(/WASM backend · SIMD/);
  });

  it('trains a few epochs with the loss going down, then generates text', async () => {
    await page.fill('#max-chars', '10000');
    await page.fill('#hidden', '64');
    await page.fill('#batch', '16');
    await page.fill('#steps', '24');
    await page.fill('#lr', '0.01');
    await page.fill('#epochs', '3');
    await page.click('#train');
    await page.waitForFunction(
      () => {
        const s = (window as unknown as { recurrentDemo: DemoState }).recurrentDemo;
        return s.errors.length > 0 || (!s.training && s.epochs.length >= 3);
      },
      null,
      { timeout: 60_000, polling: 250 },
    );
    const s = await demoState(page);
    expect(s.errors).toEqual([]);
    expect(s.epochs).toHaveLength(3);
    expect(s.epochs[2]!.loss).toBeLessThan(s.epochs[0]!.loss);
    expect(s.epochs.every((e) => e.tokensPerSecond > 0)).toBe(true);

    await page.fill('#prefix', 'The whale ');
    await page.fill('#gen-tokens', '120');
    await page.click('#generate');
    await page.waitForFunction(() => (window as unknown as { recurrentDemo: DemoState }).recurrentDemo.generated.length > 0, null, { timeout: 20_000 });
    const text = (await page.locator('#output').textContent()) ?? '';
    expect(text.startsWith('The whale ')).toBe(true);
    expect(text.length).toBeGreaterThan('The whale '.length + 60);

    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
