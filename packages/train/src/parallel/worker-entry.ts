// The script each data-parallel worker thread runs (built to dist/parallel-worker.js).
import { runWorker } from './worker';

void runWorker();
