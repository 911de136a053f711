// Shared-memory layout and the two-party barriers of the data-parallel training prototype.
import { readFileSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';

export type SyncMode = 'atomics' | 'message';

/**
 * Milliseconds the calling thread has spent on a CPU and waiting in the run queue
 * (Linux /proc/thread-self/schedstat; zeros elsewhere). On a shared machine the on-CPU time
 * is what the work costs, and the queue time is what other processes took from it.
 */
export function threadSched(): { cpu: number; queued: number } {
  try {
    const [cpu, queued] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return { cpu: Number(cpu) / 1e6, queued: Number(queued) / 1e6 };
  } catch {
    return { cpu: 0, queued: 0 };
  }
}

/** Where each parameter lives in the flat float32 vectors (state-dict order). */
export interface FlatLayout {
  names: string[];
  shapes: number[][];
  offsets: number[];
  sizes: number[];
  total: number;
}

export function flatLayout(params: readonly { name: string; shape: number[] }[]): FlatLayout {
  const layout: FlatLayout = { names: [], shapes: [], offsets: [], sizes: [], total: 0 };
  for (const p of params) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    layout.names.push(p.name);
    layout.shapes.push(p.shape);
    layout.offsets.push(layout.total);
    layout.sizes.push(size);
    layout.total += size;
  }
  return layout;
}

/**
 * The buffers every thread sees. `grads` holds [2 parities, workers, P]: a step writes the slot of
 * its parity, so a worker one barrier ahead never overwrites gradients its peer is still reading.
 * `weights` holds [workers, P]: the initial weights (slot 0, written by the main thread) and each
 * worker's weights at the end of a run (for the correctness check).
 */
export interface SharedBuffers {
  control: SharedArrayBuffer; // Int32 [count, generation]
  grads: SharedArrayBuffer;
  weights: SharedArrayBuffer;
}

export function sharedBuffers(workers: number, P: number): SharedBuffers {
  return {
    control: new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT),
    grads: new SharedArrayBuffer(2 * workers * P * Float32Array.BYTES_PER_ELEMENT),
    weights: new SharedArrayBuffer(workers * P * Float32Array.BYTES_PER_ELEMENT),
  };
}

export interface Barrier {
  arrive(): void | Promise<void>;
}

/** Generation-counting barrier over Atomics.wait/notify (blocks the thread). */
export class AtomicsBarrier implements Barrier {
  private readonly ctl: Int32Array;
  constructor(
    control: SharedArrayBuffer,
    private readonly parties: number,
  ) {
    this.ctl = new Int32Array(control);
  }
  arrive(): void {
    const gen = Atomics.load(this.ctl, 1);
    if (Atomics.add(this.ctl, 0, 1) === this.parties - 1) {
      Atomics.store(this.ctl, 0, 0);
      Atomics.add(this.ctl, 1, 1);
      Atomics.notify(this.ctl, 1);
      return;
    }
    while (Atomics.load(this.ctl, 1) === gen) Atomics.wait(this.ctl, 1, gen);
  }
}

/** Two-party barrier by message passing over a MessagePort to the peer worker (awaits the event loop). */
export class PortBarrier implements Barrier {
  private arrived = 0;
  private waiter: (() => void) | null = null;
  constructor(private readonly port: MessagePort) {
    port.on('message', () => {
      this.arrived++;
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w();
      }
    });
  }
  async arrive(): Promise<void> {
    this.port.postMessage(0);
    if (this.arrived === 0) await new Promise<void>((resolve) => (this.waiter = resolve));
    this.arrived--;
  }
  close(): void {
    this.port.close();
  }
}

/** Messages main → worker. */
export type Command =
  | {
      type: 'run';
      steps: number;
      firstBatch: number;
      resetState: boolean;
      loadWeights: boolean;
      sync: SyncMode;
    }
  | { type: 'pingpong'; rounds: number; sync: SyncMode }
  | { type: 'exit' };

/** Per-run time of one worker, milliseconds summed over the run's steps. */
export interface WorkerTimes {
  /** Forward + backward (valueAndGrads) of the worker's rows. */
  compute: number;
  /** Gradients read back from the backend and written to shared memory. */
  gradsOut: number;
  /** Blocked at the barrier (sync cost plus the imbalance between the workers). */
  wait: number;
  /** Sum of the two halves, global-norm clip and SGD in JS over the flat vectors. */
  update: number;
  /** New weights assigned back to the worker's tfjs variables. */
  assign: number;
  /** On-CPU time of the compute phase. */
  computeCpu: number;
  /** On-CPU time of the whole step (the barrier's sleep is off-CPU). */
  stepCpu: number;
  /** Time spent runnable but not running (other processes on the machine). */
  queued: number;
}

/** Messages worker → main. */
export type Reply =
  | { type: 'ready' }
  | { type: 'done'; times: WorkerTimes }
  | { type: 'pingpong'; microsPerBarrier: number }
  | { type: 'error'; message: string };
