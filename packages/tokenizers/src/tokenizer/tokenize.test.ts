import { InvalidArgumentError } from '@recurrent/core';
import { describe, expect, it, vi } from 'vitest';
import { IntlWordSegmenter } from '../segmenter/segmenter';
import { Vocab } from '../vocab/vocab';
import { createTokenizer } from './create-tokenizer';
import { tokenize, tokenizeText } from './tokenize';

// Counts imports of jieba-wasm (the mock passes the real module through) to check it loads lazily.
const loaded = vi.hoisted(() => ({ count: 0 }));
vi.mock('jieba-wasm', async (importOriginal) => {
  loaded.count++;
  return importOriginal();
});

// A tiny text with the features of timemachine.txt: punctuation, digits, capitals, empty lines.
const TEXT = 'The Time Machine, by H. G. Wells [1898]\n\n\n\nI\nThe Time Traveller (for so it will be\nconvenient to speak of him)\n';

describe('tokenize', () => {
  it('splits by code point, grapheme, whitespace or a segmenter', () => {
    expect(tokenize('a b\n😀', 'char')).toEqual(['a', ' ', 'b', '\n', '😀']);
    expect(tokenize('e\u0301!', 'grapheme')).toEqual(['e\u0301', '!']);
    expect(tokenize(' a  b\nc ', 'word')).toEqual(['a', 'b', 'c']);
    expect(tokenize('我来到北京', new IntlWordSegmenter()).join('')).toBe('我来到北京');
  });

  it('refuses an unknown level or a non-string', () => {
    expect(() => tokenize('x', 'bpe' as 'char')).toThrow("tokenize: 'level' must be one of 'char', 'grapheme', 'word', got \"bpe\"");
    expect(() => tokenize(3 as unknown as string, 'char')).toThrow(InvalidArgumentError);
  });
});

describe('tokenizeText with d2l preprocessing (checkpoint semantics)', () => {
  it('char level concatenates the preprocessed lines with nothing in between', () => {
    const chars = tokenizeText(TEXT, 'char', 'd2l');
    expect(chars.join('')).toBe('the time machine by h g wellsithe time traveller for so it will beconvenient to speak of him');
    const v = new Vocab(chars);
    expect(v.idToToken.slice(0, 3)).toEqual(['<unk>', ' ', 'e']);
  });

  it("word level concatenates each line's split()", () => {
    expect(tokenizeText(TEXT, 'word', 'd2l').slice(0, 9)).toEqual(['the', 'time', 'machine', 'by', 'h', 'g', 'wells', 'i', 'the']);
  });

  it('with none keeps every character, newlines included', () => {
    expect(tokenizeText('A,\nb', 'char', 'none')).toEqual(['A', ',', '\n', 'b']);
    expect(() => tokenizeText('a', 'char', 'lower' as 'none')).toThrow(InvalidArgumentError);
  });
});

describe('createTokenizer', () => {
  it('tokenizes and joins: "" for char and jieba, " " for word', async () => {
    const word = createTokenizer({ level: 'word', preprocess: 'd2l' });
    const w = await word.tokenize('Hello,  World!\nBye');
    expect(w).toEqual(['hello', 'world', 'bye']);
    expect(word.join(w)).toBe('hello world bye');
    const char = createTokenizer({ level: 'char' });
    expect(char.join(await char.tokenize('北京😀'))).toBe('北京😀');
    const zh = createTokenizer({ level: 'jieba', segmenter: new IntlWordSegmenter() });
    const t = await zh.tokenize('我来到北京清华大学\n');
    expect(zh.join(t)).toBe('我来到北京清华大学\n');
    expect(zh.level).toBe('jieba');
    expect(zh.preprocess).toBe('none');
  });

  it('refuses a bad config', () => {
    expect(() => createTokenizer({ level: 'bpe' as 'char' })).toThrow(InvalidArgumentError);
    expect(() => createTokenizer({ level: 'char', preprocess: 'nfc' as 'none' })).toThrow(InvalidArgumentError);
  });
});

describe('lazy loading of jieba', () => {
  it('loads jieba-wasm only when a jieba tokenizer first tokenizes', async () => {
    const char = createTokenizer({ level: 'char', preprocess: 'd2l' });
    expect(await char.tokenize('Hi, there')).toEqual(['h', 'i', ' ', 't', 'h', 'e', 'r', 'e']);
    const jieba = createTokenizer({ level: 'jieba' });
    expect(loaded.count).toBe(0);
    expect(await jieba.tokenize('我来到北京清华大学')).toEqual(['我', '来到', '北京', '清华大学']);
    expect(await jieba.tokenize('他来到了网易杭研大厦')).toEqual(['他', '来到', '了', '网易', '杭研', '大厦']);
    expect(loaded.count).toBe(1);
  });
});
