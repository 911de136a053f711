import { RecurrentError, type RecurrentErrorOptions } from './recurrent-error';

/**
 * A worker thread (or Web Worker) that died while it had work: it exited, crashed or was
 * terminated. `worker` is its index; `exitCode` what it exited with, when known.
 */
export class WorkerError extends RecurrentError {
  readonly worker: number;
  readonly exitCode: number | null;

  constructor(worker: number, reason: string, exitCode: number | null = null, options: RecurrentErrorOptions = {}) {
    super('WORKER', `worker ${worker} died: ${reason}`, options);
    this.name = 'WorkerError';
    this.worker = worker;
    this.exitCode = exitCode;
  }
}
