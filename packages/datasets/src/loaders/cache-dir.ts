import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The directory downloads are cached in: `$RECURRENT_CACHE_DIR` if set, else the platform's user
 * cache directory (`$XDG_CACHE_HOME/recurrent` or `~/.cache/recurrent` on Linux,
 * `~/Library/Caches/recurrent` on macOS, `%LOCALAPPDATA%\recurrent\cache` on Windows). Node only.
 */
export async function defaultCacheDir(): Promise<string> {
  const env = process.env;
  if (env.RECURRENT_CACHE_DIR) return env.RECURRENT_CACHE_DIR;
  if (process.platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'recurrent', 'cache');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'recurrent');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'recurrent');
}
