// The guides, in reading order. The site's sidebar and the docs test (test/guides.test.ts) both
// read this list: every guide here is a file `guides/<name>.ts` exporting `main()`, and its page
// `guides/<name>.md` shows that file and the output committed in `guides/<name>.out.txt`.

export interface GuideEntry {
  /** File stem: guides/<name>.ts, guides/<name>.md, guides/<name>.out.txt. */
  name: string;
  /** Sidebar title. */
  title: string;
}

export const guides: GuideEntry[] = [
  { name: 'rnn-from-scratch', title: 'An RNN from explicit parameters' },
  { name: 'rnn-cell-vs-rnn', title: 'RNNCell by hand vs RNN' },
  { name: 'batch-first', title: 'batchFirst' },
  { name: 'hello-ohlol', title: 'hello → ohlol' },
  { name: 'nplm', title: 'NPLM on three sentences' },
  { name: 'ngrams', title: 'n-grams' },
  { name: 'sampling', title: 'Random vs sequential sampling' },
  { name: 'time-machine', title: 'A character language model' },
  { name: 'lstm-gru', title: 'LSTM and GRU' },
  { name: 'chinese-jieba', title: 'Chinese with jieba' },
  { name: 'use-in-your-app', title: 'Use Recurrent in your app' },
];
