// Facts each guide's output must state, checked on top of the exact comparison with the committed
// output, so that regenerating the outputs (`vitest -u`) cannot quietly accept a wrong result.
import { expect } from 'vitest';

export const facts: Record<string, (out: string) => void> = {
  'rnn-from-scratch': (out) => {
    expect(out).toContain('max |difference|: < 1e-6');
  },
  'rnn-cell-vs-rnn': (out) => {
    expect(out).toContain('outputs agree: true');
    expect(out).toContain('final state = last output: true');
  },
  'batch-first': (out) => {
    expect(out).toContain('same numbers once transposed: true');
    expect(out).toMatch(/batchFirst: true +input \[ 2, 4, 3 \] -> output \[ 2, 4, 5 \] h \[ 2, 2, 5 \]/);
  },
  'hello-ohlol': (out) => {
    // Both models learn the mapping: the one-hot RNN in 40 Adam steps, the embedding model in 15.
    const sections = out.split('embedding input');
    expect(sections).toHaveLength(2);
    for (const [section, epoch] of [[sections[0]!, 40], [sections[1]!, 15]] as const) {
      const lines = section.split('\n').filter((l) => l.startsWith('epoch'));
      expect(lines.at(-1)).toMatch(new RegExp(`^epoch ${epoch} .*predicted: ohlol$`));
      const losses = lines.map((l) => Number(/loss ([\d.]+)/.exec(l)![1]));
      expect(losses.at(-1)!).toBeLessThan(losses[0]! / 2);
    }
  },
  nplm: (out) => {
    expect(out).toContain('i like -> dog');
    expect(out).toContain('i love -> coffee');
    expect(out).toContain('i hate -> milk');
  },
  sampling: (out) => {
    const [random, sequential] = out.split('sequential (carryState: true)');
    expect(random).toContain('random (carryState: false)');
    // Sequential: each row of batch 1 starts where the same row of batch 0 ended.
    const rows = [...sequential!.matchAll(/batch (\d) row (\d) {2}X \[([\d ]+)\] {2}Y \[([\d ]+)\]/g)].map((m) => ({
      batch: Number(m[1]),
      row: Number(m[2]),
      x: m[3]!.trim().split(/ +/).map(Number),
      y: m[4]!.trim().split(/ +/).map(Number),
    }));
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const r of rows) {
      expect(r.y).toEqual(r.x.map((v) => v + 1));
      const next = rows.find((o) => o.batch === r.batch + 1 && o.row === r.row);
      if (next) expect(next.x[0]).toBe(r.x.at(-1)! + 1);
    }
  },
  ngrams: (out) => {
    expect(out).toMatch(/^218367 words, vocabulary of 16943/);
    expect(out).toMatch(/1-grams: 16942 distinct/);
    expect(out).toMatch(/\n {2}the +\d+\n/);
  },
  'time-machine': (out) => {
    expect(out).toMatch(/characters, vocabulary 28: <unk> \| {3}\| e \| t/);
    const ppl = [...out.matchAll(/^epoch \d+ {2}perplexity ([\d.]+)/gm)].map((m) => Number(m[1]));
    expect(ppl).toHaveLength(5);
    for (let i = 1; i < ppl.length; i++) expect(ppl[i]!).toBeLessThan(ppl[i - 1]!);
    expect(ppl.at(-1)!).toBeLessThan(14); // uniform over 28 characters would be 28
    expect(out).toMatch(/greedy: "the whale .{40}"/);
  },
  'lstm-gru': (out) => {
    expect(out).toContain('LSTM: weight_ih_l0 [12, 5], weight_hh_l0 [12, 3], bias_ih_l0 [12], bias_hh_l0 [12]');
    expect(out).toContain('GRU: weight_ih_l0 [9, 5], weight_hh_l0 [9, 3], bias_ih_l0 [9], bias_hh_l0 [9]');
    for (const cell of ['lstm', 'gru']) {
      const m = new RegExp(`^${cell}: \\d+ parameters, perplexity by epoch ([\\d. >-]+)$`, 'm').exec(out);
      expect(m, cell).not.toBeNull();
      const ppl = m![1]!.split(' -> ').map(Number);
      expect(ppl.at(-1)!).toBeLessThan(ppl[0]!);
    }
  },
  'chinese-jieba': (out) => {
    // jieba's segmentation (the same as Python's jieba.lcut) and a memorised continuation.
    expect(out).toContain('我们 / 先 / 把 / 句子 / 切成 / 词 / ， / 再 / 把 / 词 / 变成 / 编号 / 。');
    expect(out).toContain('模型读到 -> 模型读到前面的词，就能猜出下一个词。');
  },
};
