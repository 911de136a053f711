// The functions our module exports (assembly/index.ts). Every pointer is a byte offset into the
// module's memory; sizes are element counts.

/** A cell's forward step (assembly/cells.ts: the arguments every cell shares). */
export type CellForward = (
  pre: number,
  xp: number,
  offs: number,
  bias: number,
  hPrev: number,
  cPrev: number,
  h: number,
  c: number,
  saved: number,
  B: number,
  Hp: number,
  flag: number,
) => void;

/** A cell's backward step (assembly/cells.ts). */
export type CellBackward = (
  dOut: number,
  dh: number,
  dc: number,
  saved: number,
  hPrev: number,
  cPrev: number,
  h: number,
  dGi: number,
  dGh: number,
  B: number,
  Hp: number,
  flag: number,
) => void;

export interface ModuleExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  mapValues(fn: number, src: number, dst: number, n: number): void;
  packPanels(src: number, K: number, N: number, dst: number): void;
  packPanelsTransposed(src: number, N: number, K: number, dst: number): void;
  gemm(
    a: number,
    bp: number,
    c: number,
    M: number,
    K: number,
    panels: number,
    accumulate: number,
  ): void;
  gemmPanels(
    a: number,
    bp: number,
    c: number,
    M: number,
    K: number,
    p0: number,
    p1: number,
    panels: number,
    accumulate: number,
  ): void;
  gemmTransA(
    a: number,
    lda: number,
    bp: number,
    c: number,
    M: number,
    K: number,
    p0: number,
    p1: number,
    panels: number,
    accumulate: number,
  ): void;
  sequenceForward(
    kind: number,
    xp: number,
    offs: number,
    bias: number,
    whh: number,
    h0: number,
    c0: number,
    hs: number,
    cs: number,
    saved: number,
    pre: number,
    T: number,
    B: number,
    Hp: number,
    b0: number,
    b1: number,
    reverse: number,
    flag: number,
  ): void;
  sequenceBackward(
    kind: number,
    whh: number,
    dOut: number,
    dh: number,
    dc: number,
    saved: number,
    h0: number,
    c0: number,
    hs: number,
    cs: number,
    dGi: number,
    dGh: number,
    T: number,
    B: number,
    Hp: number,
    b0: number,
    b1: number,
    reverse: number,
    flag: number,
  ): void;
  lstmForward: CellForward;
  lstmBackward: CellBackward;
  gruForward: CellForward;
  gruBackward: CellBackward;
  rnnForward: CellForward;
  rnnBackward: CellBackward;
  columnSum(a: number, rows: number, cols: number, out: number): void;
  scatterAddRows(a: number, ids: number, rows: number, cols: number, acc: number): void;
  crossEntropyForward(
    z: number,
    t: number,
    M: number,
    C: number,
    ignore: number,
    smoothing: number,
    loss: number,
    lse: number,
  ): void;
  crossEntropyBackward(
    z: number,
    t: number,
    lse: number,
    g: number,
    M: number,
    C: number,
    ignore: number,
    smoothing: number,
  ): void;
}
