import { InvalidArgumentError } from '@recurrent/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import reference from '../../test/fixtures/segmentation.json';
import { initJiebaModule, JiebaSegmenter } from './jieba';
import { IntlWordSegmenter } from './segmenter';

const SEED = '北京冬奥的进度条已经过半，不少外国运动员在完成自己的比赛后踏上归途。';

describe('JiebaSegmenter (jieba-wasm)', () => {
  let jieba: JiebaSegmenter;
  beforeAll(async () => {
    jieba = await JiebaSegmenter.create();
  });

  it('cuts the seed sentence as Python jieba.lcut does', () => {
    expect(jieba.cut(SEED).join(' ')).toBe('北京 冬奥 的 进度条 已经 过半 ， 不少 外国 运动员 在 完成 自己 的 比赛 后 踏上 归途 。');
  });

  it('matches every reference sentence, with and without HMM', async () => {
    const noHmm = await JiebaSegmenter.create({ hmm: false });
    for (const item of reference.items) {
      expect(jieba.cut(item.text)).toEqual(item.hmm);
      expect(noHmm.cut(item.text)).toEqual(item.noHmm);
    }
  });

  it('adds user dictionary words', async () => {
    const text = '我们在研究循环神经网络语言模型';
    expect(jieba.cut(text)).not.toContain('循环神经网络');
    const withWords = await JiebaSegmenter.create({ userWords: ['循环神经网络', { word: '语言模型', freq: 100000, tag: 'n' }] });
    expect(withWords.cut(text)).toContain('循环神经网络');
    expect(withWords.cut(text)).toContain('语言模型');
    expect(() => withWords.addWord('')).toThrow(InvalidArgumentError);
    expect(() => withWords.addWord({ word: '词', freq: 0 })).toThrow(InvalidArgumentError);
  });

  it('is lossless: the words join back into the text', () => {
    const unit = fc.oneof(fc.constantFrom(...'北京冬奥的进度条已经过半，。 \nabc12😀'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (s) => {
        expect(jieba.cut(s).join('')).toBe(s);
      }),
      { numRuns: 200 },
    );
  });
});

const REFERENCE_ICU = '78.2';
const ICU_OF_REFERENCE = process.versions.icu === REFERENCE_ICU;
if (!ICU_OF_REFERENCE) console.warn(`skipped: IntlWordSegmenter's reference words were taken with ICU ${REFERENCE_ICU}; this Node has ICU ${process.versions.icu}`);

describe('IntlWordSegmenter', () => {
  it('is lossless and, unlike jieba, splits 冬奥', () => {
    const seg = new IntlWordSegmenter();
    const words = seg.cut(`${SEED}\n${SEED}`);
    expect(words.join('')).toBe(`${SEED}\n${SEED}`);
    expect(words).not.toContain('冬奥');
  });

  // Intl.Segmenter's words come from ICU's dictionary, which changes between ICU versions.
  it.runIf(ICU_OF_REFERENCE)(`gives the reference words of ICU ${REFERENCE_ICU}`, () => {
    expect(new IntlWordSegmenter().cut(SEED)).toEqual(reference.items[0]!.intl);
  });
});

describe('initJiebaModule', () => {
  it('initialises the web build (what a browser bundle gets) from wasm bytes before cutting', async () => {
    const { readFile } = await import('node:fs/promises');
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const web = (await import('jieba-wasm/web')) as unknown as Record<string, unknown>;
    const { dirname, join } = await import('node:path');
    const bytes = await readFile(join(dirname(require.resolve('jieba-wasm')), '..', 'web', 'jieba_rs_wasm_bg.wasm'));
    const api = await initJiebaModule(web, bytes);
    expect(api.cut(SEED, true).join(' ')).toBe('北京 冬奥 的 进度条 已经 过半 ， 不少 外国 运动员 在 完成 自己 的 比赛 后 踏上 归途 。');
  });

  it('refuses a module without cut()', async () => {
    await expect(initJiebaModule({ default: {} })).rejects.toThrow(InvalidArgumentError);
  });
});
