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
};
