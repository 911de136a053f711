// Sixteen kinds of bad input a new user gives the CLI, each refused with one plain line that
// names the flag (or the problem) and says what to do, no stack trace, a non-zero exit, and
// nothing printed on stdout.
import { cpSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointDir } from '@recurrent/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recurrentInProcess } from '../test/run-cli';
import { EXIT_OK } from './program';

const run = recurrentInProcess;

let dir = '';
const at = (name: string): string => join(dir, name);
const TEXT = 'the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us\n'.repeat(4);
const CHECKPOINT = checkpointDir('tm-lstm-onehot');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'recurrent-cli-refusals-'));
  writeFileSync(at('ok.txt'), TEXT);
  writeFileSync(at('tiny.txt'), 'just a few words here\n');
  writeFileSync(at('empty.txt'), '');
  writeFileSync(at('blank.txt'), ' \n\t\n');
  writeFileSync(at('image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
  writeFileSync(at('latin1.txt'), Buffer.from('caf\xe9 cr\xe8me br\xfbl\xe9e\n', 'latin1'));
  mkdirSync(at('folder'));
  cpSync(CHECKPOINT, at('broken'), { recursive: true });
  truncateSync(at('broken/model.safetensors'), 64);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Kind {
  kind: string;
  argv: () => string[];
  /** What the one line must say: the flag or the problem, and (where there is one) what to do. */
  says: RegExp[];
}

const KINDS: Kind[] = [
  { kind: 'an unknown command', argv: () => ['trian'], says: [/unknown command 'trian'/, /train/] },
  { kind: 'an unknown flag', argv: () => ['train', '--corpus', at('ok.txt'), '--hiden', '64'], says: [/unknown option '--hiden'/, /--hidden/] },
  { kind: 'a required flag left out', argv: () => ['eval', '--corpus', at('ok.txt')], says: [/--checkpoint/, /not specified/] },
  { kind: 'a word for a number', argv: () => ['train', '--corpus', at('ok.txt'), '--hidden', 'many'], says: [/--hidden/, /many/, /positive integer/] },
  { kind: 'a fraction for an integer', argv: () => ['train', '--corpus', at('ok.txt'), '--batch', '2.5'], says: [/--batch/, /2\.5/, /positive integer/] },
  { kind: 'a negative learning rate', argv: () => ['train', '--corpus', at('ok.txt'), '--lr', '-1'], says: [/--lr/, /-1/, /positive number/] },
  { kind: 'a value outside the choices', argv: () => ['train', '--corpus', at('ok.txt'), '--cell', 'transformer'], says: [/--cell/, /transformer/, /lstm, gru, rnn/] },
  { kind: 'a corpus that does not exist', argv: () => ['train', '--corpus', at('missing.txt')], says: [/--corpus \S*missing\.txt: not found/, /give the path of a UTF-8 text file/] },
  { kind: 'a folder given as the corpus', argv: () => ['eval', '--checkpoint', CHECKPOINT, '--corpus', at('folder')], says: [/--corpus \S*folder: is a directory, not a file/, /give the path/] },
  { kind: 'a binary file as the corpus', argv: () => ['train', '--corpus', at('image.png')], says: [/--corpus \S*image\.png: looks binary/, /UTF-8 text file/] },
  { kind: 'a corpus that is not UTF-8', argv: () => ['corpus', at('latin1.txt')], says: [/FILE \S*latin1\.txt: is not UTF-8 text \(invalid byte at offset 3\)/, /save it as UTF-8/] },
  { kind: 'an empty corpus', argv: () => ['train', '--corpus', at('empty.txt')], says: [/--corpus \S*empty\.txt: is empty/, /some text/] },
  { kind: 'a corpus too small for the batch', argv: () => ['train', '--corpus', at('tiny.txt'), '--batch', '32', '--steps', '35'], says: [/--corpus \S*tiny\.txt: has 22 char tokens, too few for --batch 32 x --steps 35/, /smaller --batch or --steps/] },
  { kind: 'a checkpoint that does not exist', argv: () => ['generate', '--checkpoint', at('nowhere'), '--prefix', 'the'], says: [/--checkpoint \S*nowhere: not found/, /recurrent train --out DIR/] },
  { kind: 'a damaged checkpoint', argv: () => ['eval', '--checkpoint', at('broken'), '--corpus', at('ok.txt')], says: [/--checkpoint \S*broken: .*model\.safetensors/, /give a checkpoint/] },
  { kind: 'a sampling value out of range', argv: () => ['generate', '--checkpoint', CHECKPOINT, '--prefix', 'the', '--top-p', '1.5'], says: [/--top-p 1\.5: must be a finite number > 0 and <= 1/, /--help/] },
];

describe('the CLI refuses bad input in one line that names the flag', () => {
  it('has 16 kinds', () => {
    expect(KINDS).toHaveLength(16);
  });

  for (const k of KINDS) {
    it(k.kind, async () => {
      const r = await run(k.argv());
      expect(r.code, r.err).not.toBe(EXIT_OK);
      expect(r.out).toBe('');
      const lines = r.err.trimEnd().split('\n');
      expect(lines, r.err).toHaveLength(1);
      expect(lines[0]).toMatch(/^recurrent: /);
      expect(r.err).not.toMatch(/\n\s+at |\bat .*:\d+:\d+\)/);
      // No internal function names or errnos: what the user typed, and what to do.
      expect(r.err).not.toMatch(/readTextFile|readBytes|ENOENT|EISDIR|sequentialBatches|parseSafetensors/);
      for (const s of k.says) expect(lines[0]).toMatch(s);
    });
  }

  it('prints the stack only with --debug', async () => {
    const r = await run(['--debug', 'train', '--corpus', at('missing.txt')]);
    expect(r.err.split('\n')[0]).toMatch(/^recurrent: --corpus \S*missing\.txt: not found/);
    expect(r.err).toMatch(/\n\s+at /);
  });
});
