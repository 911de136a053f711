// Runs the generate benchmark and parity scripts (not part of the test suite) with the root
// config's resolution: `npx vitest run -c packages/generate/bench/vitest.config.ts [name]`.
import { mergeConfig } from 'vitest/config';
import root from '../../../vitest.config';

const config = mergeConfig(root, { test: { testTimeout: 900_000 } });
// mergeConfig concatenates arrays: set the scripts as the only files to run.
config.test = { ...config.test, include: ['packages/generate/bench/*.run.ts'], reporters: ['default'] };
export default config;
