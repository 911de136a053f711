import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { memorySnapshot } from '@recurrent/core';
import type { TorchCase } from './case';
import { KINDS } from './kinds/index';

export const ATOL = 1e-5;
export const RTOL = 1e-4;
/** Gradients through recurrences are compared at 1e-4 absolute (ARCHITECTURE.md). */
export const GRAD_ATOL = 1e-4;

export interface CaseReport {
  file: string;
  kind: string;
  passed: boolean;
  /** Largest |got - want| over outputs and over gradients. */
  maxOutputError: number;
  maxGradError: number;
  /** Why it failed: the key and the element, or the error thrown. */
  problems: string[];
}

/** Every `*.json` file under `dir`, sorted, recursively. */
export async function findCases(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.endsWith('.json')) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

function compare(
  key: string,
  got: { shape: readonly number[]; data: ArrayLike<number> } | undefined,
  want: { shape: number[]; data: number[] },
  atol: number,
  problems: string[],
): number {
  if (!got) {
    problems.push(`${key}: not computed`);
    return Infinity;
  }
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
    problems.push(`${key}: shape [${got.shape.join(', ')}], expected [${want.shape.join(', ')}]`);
    return Infinity;
  }
  let max = 0;
  let reported = false;
  for (let i = 0; i < want.data.length; i++) {
    const w = Math.fround(want.data[i]!);
    const g = got.data[i]!;
    const d = Math.abs(g - w);
    const err = Number.isNaN(d) ? Infinity : d;
    if (err > max) max = err;
    if (!(d <= atol + RTOL * Math.abs(w)) && !reported) {
      problems.push(`${key}[${i}]: got ${g}, expected ${w}`);
      reported = true;
    }
  }
  return max;
}

/** Runs one case file; never throws (an exception becomes a failed report). */
export async function runCase(file: string, root: string): Promise<CaseReport> {
  const rel = relative(root, file) || file;
  let c: TorchCase;
  try {
    c = JSON.parse(await readFile(file, 'utf8')) as TorchCase;
  } catch (e) {
    return { file: rel, kind: '?', passed: false, maxOutputError: Infinity, maxGradError: Infinity, problems: [`unreadable: ${(e as Error).message}`] };
  }
  const report: CaseReport = { file: rel, kind: c.kind, passed: false, maxOutputError: 0, maxGradError: 0, problems: [] };
  const runner = KINDS[c.kind];
  if (!runner) {
    report.problems.push(`unknown kind '${c.kind}'`);
    report.maxOutputError = report.maxGradError = Infinity;
    return report;
  }
  const before = memorySnapshot().numTensors;
  try {
    const got = await runner(c);
    for (const [key, want] of Object.entries(c.outputs)) {
      report.maxOutputError = Math.max(report.maxOutputError, compare(key, got.outputs[key], want, ATOL, report.problems));
    }
    for (const [key, want] of Object.entries(c.grads ?? {})) {
      report.maxGradError = Math.max(report.maxGradError, compare(key, got.grads[key], want, GRAD_ATOL, report.problems));
    }
  } catch (e) {
    report.problems.push((e as Error).message);
    report.maxOutputError = report.maxGradError = Infinity;
  }
  const leaked = memorySnapshot().numTensors - before;
  if (leaked !== 0 && report.problems.length === 0) report.problems.push(`leaked ${leaked} tensors`);
  report.passed = report.problems.length === 0;
  return report;
}

export function formatReport(r: CaseReport): string {
  const fmt = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : 'inf');
  const head = `${r.passed ? 'PASS' : 'FAIL'} ${r.file}  output ${fmt(r.maxOutputError)}  grad ${fmt(r.maxGradError)}`;
  return r.passed ? head : `${head}  (${r.problems.slice(0, 3).join('; ')})`;
}

/** Runs every case under `dir`, printing one line each and the closing `N passed, N failed`. */
export async function runConformance(dir: string, print: (line: string) => void = console.log): Promise<{ passed: number; failed: number; reports: CaseReport[] }> {
  const files = await findCases(dir);
  const reports: CaseReport[] = [];
  for (const f of files) {
    const r = await runCase(f, dir);
    reports.push(r);
    print(formatReport(r));
  }
  const passed = reports.filter((r) => r.passed).length;
  const failed = reports.length - passed;
  print(`${passed} passed, ${failed} failed`);
  return { passed, failed, reports };
}
