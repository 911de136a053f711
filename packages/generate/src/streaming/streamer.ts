/** Where a streamed token comes from. */
export interface StreamInfo {
  /** Which prefix of a batch (0 for a single prefix). */
  row: number;
  /** The token's id and text. */
  id: number;
  token: string;
}

/** Receives text as it is produced: `put` once per generated token, `end` once at the end. */
export interface Streamer {
  put(text: string, info: StreamInfo): void;
  end(): void;
}

/** A streamer that calls `write` with each piece of text (e.g. `process.stdout.write`). */
export function textStreamer(write: (text: string) => void, options: { onEnd?: () => void } = {}): Streamer {
  return {
    put: (text) => write(text),
    end: () => options.onEnd?.(),
  };
}
