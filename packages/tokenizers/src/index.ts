export { d2lPreprocessLine, d2lPreprocessLines } from './preprocess/d2l';
export { codePoints, graphemes } from './split/char';
export { whitespaceWords } from './split/word';
export { IntlWordSegmenter, type Segmenter } from './segmenter/segmenter';
export { JiebaSegmenter, loadJieba, initJiebaModule, type JiebaOptions, type UserWord } from './segmenter/jieba';
export { Vocab, countTokens, type VocabOptions, type VocabJSON, type NestedTokens } from './vocab/vocab';
export { ngramCounts, type NgramCount } from './ngram/ngram-counts';
export { tokenize, tokenizeText, type SplitLevel, type Preprocess } from './tokenizer/tokenize';
export { createTokenizer, type Tokenizer, type TokenizerConfig, type TokenizerLevel } from './tokenizer/create-tokenizer';
