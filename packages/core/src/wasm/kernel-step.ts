// A recurrent layer's weights resident in an instance of our WebAssembly SIMD module, and its
// generation step there: one call per step does the input projection (a row lookup for token
// ids, or x · wIhᵀ), h · wHhᵀ, the biases, the gate nonlinearities and the state update.
import { KernelArena, PANEL, roundToPanel } from './kernel-module';

export type KernelCell = 'lstm' | 'gru' | 'rnn';

/** Per batch size: where ids, x, h, c and the pre-activations live in the module's memory. */
interface StepBuffers {
  ids: number;
  x: number;
  h: number;
  c: number;
  y: number;
}

/**
 * The packed layer: wIh [G*H, I], wHh [G*H, H] and the biases [G*H] (PyTorch layouts and gate
 * orders) as values, laid out once in column panels (see assembly/step-kernels.ts).
 */
export class KernelStepWeights {
  private readonly arena: KernelArena;
  private readonly w: number;
  private readonly bias: number;
  private readonly Hp: number;
  private readonly buffers = new Map<number, StepBuffers>();

  constructor(
    module: WebAssembly.Module,
    readonly cell: KernelCell,
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly relu: boolean,
    wIh: Float32Array,
    wHh: Float32Array,
    bIh: Float32Array | null,
    bHh: Float32Array | null,
  ) {
    const I = inputSize;
    const H = hiddenSize;
    const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
    const Hp = roundToPanel(H);
    const N = this.columns(Hp);
    const K = I + H;
    this.Hp = Hp;
    this.arena = new KernelArena(module);
    this.w = this.arena.alloc(K * N);
    this.bias = this.arena.alloc(N);
    const f = this.arena.f32;
    const w0 = this.w >> 2;
    const b0 = this.bias >> 2;
    // Element (k, col) of the [K, N] weight sits in panel col / 16, row k, lane col % 16 (PANEL = 16).
    const panelFloats = K * PANEL;
    for (let g = 0; g < G; g++) {
      // GRU: the hidden part of the n gate has its own block (3), so r can scale it alone.
      const hiddenBlock = cell === 'gru' && g === 2 ? 3 : g;
      for (let j = 0; j < H; j++) {
        const r = g * H + j;
        const col = g * Hp + j;
        const hcol = hiddenBlock * Hp + j;
        const inBase = w0 + (col >> 4) * panelFloats + (col & 15);
        const hBase = w0 + (hcol >> 4) * panelFloats + I * PANEL + (hcol & 15);
        const wiRow = r * I;
        const whRow = r * H;
        for (let k = 0; k < I; k++) f[inBase + k * PANEL] = wIh[wiRow + k]!;
        for (let k = 0; k < H; k++) f[hBase + k * PANEL] = wHh[whRow + k]!;
        const bi = bIh ? bIh[r]! : 0;
        const bh = bHh ? bHh[r]! : 0;
        if (hcol !== col) {
          f[b0 + col] = bi;
          f[b0 + hcol] = bh;
        } else f[b0 + col] = bi + bh;
      }
    }
  }

  private columns(Hp: number): number {
    return this.cell === 'lstm' || this.cell === 'gru' ? 4 * Hp : Hp;
  }

  private buffersFor(B: number): StepBuffers {
    let b = this.buffers.get(B);
    if (!b) {
      const a = this.arena;
      const Hp = this.Hp;
      b = { ids: a.alloc(B), x: a.alloc(B * this.inputSize), h: a.alloc(B * Hp), c: a.alloc(B * Hp), y: a.alloc(B * this.columns(Hp)) };
      this.buffers.set(B, b);
    }
    return b;
  }

  /**
   * One step for B rows: `ids` (int32 token ids in [0, I), checked by the caller) or `x` [B, I];
   * h, c [B, H] in (c for LSTM only); the new h, c written to hOut, cOut (which may be h, c).
   */
  step(ids: ArrayLike<number> | null, x: Float32Array | null, h: Float32Array, c: Float32Array | null, B: number, hOut: Float32Array, cOut: Float32Array | null): void {
    const buf = this.buffersFor(B);
    const a = this.arena;
    const f = a.f32;
    const H = this.hiddenSize;
    const Hp = this.Hp;
    const I = this.inputSize;
    const lstm = this.cell === 'lstm';
    putRows(f, buf.h >> 2, h, B, H, Hp);
    if (lstm) putRows(f, buf.c >> 2, c!, B, H, Hp);
    let idsAt = 0;
    if (ids) {
      const i32 = a.i32;
      for (let b = 0; b < B; b++) i32[(buf.ids >> 2) + b] = ids[b]!;
      idsAt = buf.ids;
    } else f.set(x!.subarray(0, B * I), buf.x >> 2);
    const fns = a.fns;
    if (lstm) fns.lstmStep(this.w, this.bias, idsAt, buf.x, I, H, buf.h, buf.c, buf.y, B);
    else if (this.cell === 'gru') fns.gruStep(this.w, this.bias, idsAt, buf.x, I, H, buf.h, buf.y, B);
    else fns.rnnStep(this.w, this.bias, idsAt, buf.x, I, H, buf.h, buf.y, B, this.relu ? 1 : 0);
    getRows(f, buf.h >> 2, hOut, B, H, Hp);
    if (lstm) getRows(f, buf.c >> 2, cOut!, B, H, Hp);
  }
}

/** Rows of H values from `src` into the module's memory at float index `at`, Hp apart (padded rows). */
function putRows(f: Float32Array, at: number, src: Float32Array, B: number, H: number, Hp: number): void {
  if (H === Hp) f.set(src.subarray(0, B * H), at);
  else for (let b = 0; b < B; b++) f.set(src.subarray(b * H, (b + 1) * H), at + b * Hp);
}

/** The first H values of B padded rows (Hp apart) at float index `at`, into `dst` [B, H]. */
function getRows(f: Float32Array, at: number, dst: Float32Array, B: number, H: number, Hp: number): void {
  if (H === Hp) dst.set(f.subarray(at, at + B * H));
  else for (let b = 0; b < B; b++) dst.set(f.subarray(at + b * Hp, at + b * Hp + H), b * H);
}

/** A dense layer y = x · Wᵀ + b (W [out, in], PyTorch's Linear) resident in a module instance. */
export class KernelDense {
  private readonly arena: KernelArena;
  private readonly w: number;
  private readonly bias: number;
  private readonly Np: number;
  private readonly buffers = new Map<number, { x: number; y: number }>();

  constructor(
    module: WebAssembly.Module,
    readonly inFeatures: number,
    readonly outFeatures: number,
    weight: Float32Array,
    bias: Float32Array | null,
  ) {
    const K = inFeatures;
    const Np = roundToPanel(outFeatures);
    this.Np = Np;
    this.arena = new KernelArena(module);
    this.w = this.arena.alloc(K * Np);
    this.bias = this.arena.alloc(Np);
    const f = this.arena.f32;
    const w0 = this.w >> 2;
    for (let n = 0; n < outFeatures; n++) {
      const base = w0 + (n >> 4) * K * PANEL + (n & 15);
      const row = n * K;
      for (let k = 0; k < K; k++) f[base + k * PANEL] = weight[row + k]!;
    }
    if (bias) f.set(bias.subarray(0, outFeatures), this.bias >> 2);
  }

  /** x [rows, in] -> out [rows, outFeatures]. */
  forward(x: Float32Array, rows: number, out: Float32Array): void {
    let buf = this.buffers.get(rows);
    if (!buf) this.buffers.set(rows, (buf = { x: this.arena.alloc(rows * this.inFeatures), y: this.arena.alloc(rows * this.Np) }));
    const f = this.arena.f32;
    f.set(x.subarray(0, rows * this.inFeatures), buf.x >> 2);
    this.arena.fns.dense(this.w, this.bias, this.inFeatures, this.Np, buf.x, buf.y, rows);
    getRows(f, buf.y >> 2, out, rows, this.outFeatures, this.Np);
  }
}
