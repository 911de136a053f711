import { RecurrentError, type RecurrentErrorOptions } from './recurrent-error';

/**
 * A kernel of our WebAssembly module threw on one of the pool's worker threads (a trap, or the
 * module failing there): `kernel` is the module's function, `thread` the worker (1 and up; the
 * calling thread is 0), the message says what the worker reported. Thrown on the calling thread
 * once every thread of the job has finished, so none is left running it.
 */
export class ThreadError extends RecurrentError {
  readonly kernel: string;
  readonly thread: number;

  constructor(kernel: string, thread: number, detail: string, options: RecurrentErrorOptions = {}) {
    super('THREAD', `${kernel}: thread ${thread} of our module's pool failed: ${detail}`, options);
    this.name = 'ThreadError';
    this.kernel = kernel;
    this.thread = thread;
  }
}
