import asciichartModule from 'asciichart';
import type * as AsciiChart from 'asciichart';

// A CommonJS module: its default import is `module.exports` (the typings describe the namespace).
const asciichart = asciichartModule as unknown as typeof AsciiChart;

/** Averages `values` into at most `width` buckets (keeps the shape of a long curve). */
export function downsample(values: readonly number[], width: number): number[] {
  if (values.length <= width) return [...values];
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * values.length) / width);
    const to = Math.floor(((i + 1) * values.length) / width);
    let sum = 0;
    for (let j = from; j < to; j++) sum += values[j]!;
    out.push(sum / Math.max(1, to - from));
  }
  return out;
}

/** A small terminal line chart of `values` (e.g. perplexity per batch), with a title. */
export function plotCurve(title: string, values: readonly number[], options: { width?: number; height?: number } = {}): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2) return `${title}: not enough points to plot\n`;
  const points = downsample(finite, options.width ?? 60);
  const chart = asciichart.plot(points, {
    height: options.height ?? 10,
    format: (x: number) => x.toFixed(1).padStart(8),
  });
  return `${title}\n${chart}\n`;
}
