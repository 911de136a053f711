/** 12345.6 -> "12,346" */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Seconds as "1m 05s" or "12.3s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return `${m}m ${String(s).padStart(2, '0')}s`;
}

/** One training-log line: `epoch 3/8  perplexity 7.41  loss 2.003  14,210 tokens/s  15.0s`. */
export function epochLine(e: { epoch: number; perplexity: number; loss: number; tokensPerSecond: number; seconds: number }, total: number): string {
  const w = String(total).length;
  return `epoch ${String(e.epoch).padStart(w)}/${total}  perplexity ${e.perplexity.toFixed(2)}  loss ${e.loss.toFixed(3)}  ${formatInt(e.tokensPerSecond)} tokens/s  ${formatSeconds(e.seconds)}`;
}
