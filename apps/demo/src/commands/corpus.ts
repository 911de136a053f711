import { Option, type Command } from 'commander';
import { readTextFlag, UsageError } from '../lib/inputs';
import { createTokenizer, Vocab } from '@recurrent/tokenizers';

export interface CorpusOptions {
  level: 'char' | 'word' | 'jieba';
  preprocess: 'd2l' | 'none';
  /** Also report the whole vocabulary, in id order. */
  vocab?: boolean;
}

/** What `recurrent corpus` prints: token count, vocabulary size (with `<unk>`), the ten most frequent tokens. */
export interface CorpusReport {
  tokens: number;
  vocabSize: number;
  top: [string, number][];
  /** The vocabulary's tokens in id order (`<unk>` first), with `--vocab`. */
  vocab?: string[];
}

/** Reads a UTF-8 file, tokenizes it and counts (typed errors: not UTF-8, unreadable, no tokens). */
export async function runCorpus(file: string, options: CorpusOptions): Promise<CorpusReport> {
  const text = await readTextFlag('FILE', file);
  const tokenizer = createTokenizer({ level: options.level, preprocess: options.preprocess });
  const tokens = await tokenizer.tokenize(text);
  if (tokens.length === 0) {
    throw new UsageError('FILE', file, `has no ${options.level} tokens after --preprocess ${options.preprocess}`, 'give a text with tokens at this --level (d2l keeps only the letters A-Z)');
  }
  const vocab = new Vocab(tokens);
  const report: CorpusReport = { tokens: tokens.length, vocabSize: vocab.size, top: vocab.tokenFreqs.slice(0, 10).map(([t, n]) => [t, n]) };
  if (options.vocab) report.vocab = [...vocab.tokens];
  return report;
}

/** `recurrent corpus FILE [--level char|word|jieba] [--preprocess d2l|none] [--vocab]`: prints a JSON summary. */
export function registerCorpusCommand(program: Command, write: (text: string) => void = (s) => process.stdout.write(s)): void {
  program
    .command('corpus')
    .description('Tokenize a UTF-8 text file and print the token count, vocabulary size and top tokens as JSON')
    .argument('<FILE>', 'a UTF-8 text file')
    .addOption(new Option('--level <level>', 'tokens: characters, whitespace words or jieba words').choices(['char', 'word', 'jieba']).default('char'))
    .addOption(new Option('--preprocess <mode>', "d2l: per line keep letters and lower-case; none: the text as is").choices(['d2l', 'none']).default('none'))
    .option('--vocab', 'also print the whole vocabulary, in id order')
    .action(async (file: string, options: CorpusOptions) => {
      write(`${JSON.stringify(await runCorpus(file, options))}\n`);
    });
}
