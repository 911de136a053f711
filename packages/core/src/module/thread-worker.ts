// The script every pool thread runs, as source text: a Node worker thread starts it with
// `eval: true`, a browser a Blob URL of it, so no bundler has to find or emit a file for it.
// Plain JavaScript that runs in both (it picks `worker_threads`' port in Node, `self` elsewhere).
//
// A thread instantiates our module over the shared memory it is sent, says `ready`, then waits
// for jobs on the control block (layout below, shared with threads.ts): it spins for the time the
// header gives, then sleeps in Atomics.wait until the job counter moves. A job is a kernel, its
// arguments as affine functions of a chunk's range [lo, hi) (value = c + a·lo + b·hi), and a
// number of chunks; every thread, the caller included, claims chunks one at a time with a
// compare-and-swap on the claim word (the job's number in the high bits, the next chunk in the
// low ones, so a thread that woke late can never claim a chunk of a later job), runs it, and
// counts it finished. An error is recorded once (the thread, its name and message) and the
// remaining chunks are counted without running. Function −1 ends the loop and the thread.

/** Int32 fields of the control block. */
export const CONTROL = {
  /** Microseconds a thread spins for its next job before it sleeps. */
  spinMicros: 0,
  /** Bumped by the caller for every job (what sleeping threads wait on). */
  job: 1,
  /** (job & 0x7fff) << 16 | the next chunk to claim. */
  claim: 2,
  /** Chunks finished (run, or skipped after an error). */
  finished: 3,
  /** 0, or the thread (1 + worker index; the caller is 0) that recorded an error, plus 1. */
  error: 4,
  errorLength: 5,
  fn: 6,
  nargs: 7,
  n: 8,
  chunkSize: 9,
  chunks: 10,
  /** Float64 index of the arguments: nargs triples (c, a, b). */
  args: 8,
  maxArgs: 24,
  /** Uint16 index of the error's text, and its longest length. */
  message: 320,
  maxMessage: 160,
  /** Bytes of the block. */
  bytes: 960,
} as const;

export const WORKER_SOURCE = `'use strict';
(function () {
  var SPIN = ${CONTROL.spinMicros}, JOB = ${CONTROL.job}, CLAIM = ${CONTROL.claim}, FINISHED = ${CONTROL.finished};
  var ERROR = ${CONTROL.error}, ELEN = ${CONTROL.errorLength}, FN = ${CONTROL.fn}, NARGS = ${CONTROL.nargs};
  var N = ${CONTROL.n}, CHUNK = ${CONTROL.chunkSize}, CHUNKS = ${CONTROL.chunks}, ARGS = ${CONTROL.args};
  var MSG = ${CONTROL.message}, MAXMSG = ${CONTROL.maxMessage};
  function start(init, post) {
    var fns;
    try {
      var env = { memory: init.memory, abort: function () { throw new Error('abort'); } };
      fns = new WebAssembly.Instance(init.module, { env: env }).exports;
    } catch (e) {
      post({ type: 'error', message: String((e && e.message) || e) });
      return;
    }
    var table = init.names.map(function (n) { return fns[n]; });
    var ctl = new Int32Array(init.control);
    var f64 = new Float64Array(init.control);
    var u16 = new Uint16Array(init.control);
    var thread = init.thread;
    var seen = Atomics.load(ctl, JOB);
    post({ type: 'ready' });
    for (;;) {
      var spins = 0;
      var t0 = performance.now();
      while (Atomics.load(ctl, JOB) === seen) {
        if ((++spins & 127) === 0 && (performance.now() - t0) * 1000 > Atomics.load(ctl, SPIN)) {
          Atomics.wait(ctl, JOB, seen);
          spins = 0;
          t0 = performance.now();
        }
      }
      seen = Atomics.load(ctl, JOB);
      if (ctl[FN] < 0) break;
      var tag = (seen & 0x7fff) << 16;
      for (;;) {
        var v = Atomics.load(ctl, CLAIM);
        if ((v & 0x7fff0000) !== tag) break;
        var chunks = ctl[CHUNKS];
        var i = v & 0xffff;
        if (i >= chunks || Atomics.compareExchange(ctl, CLAIM, v, v + 1) !== v) {
          if (i >= chunks) break;
          continue;
        }
        // Chunk i is ours: the job cannot change until it is counted finished.
        if (Atomics.load(ctl, ERROR) === 0) {
          var size = ctl[CHUNK];
          var lo = i * size;
          var hi = Math.min(ctl[N], lo + size);
          var nargs = ctl[NARGS];
          var args = new Array(nargs);
          for (var k = 0; k < nargs; k++) {
            var at = ARGS + 3 * k;
            args[k] = f64[at] + f64[at + 1] * lo + f64[at + 2] * hi;
          }
          try {
            table[ctl[FN]].apply(null, args);
          } catch (e) {
            if (Atomics.compareExchange(ctl, ERROR, 0, thread + 1) === 0) {
              var text = String((e && e.name) || 'Error') + ': ' + String((e && e.message) || e);
              var len = Math.min(text.length, MAXMSG);
              for (var j = 0; j < len; j++) u16[MSG + j] = text.charCodeAt(j);
              ctl[ELEN] = len;
            }
          }
        }
        if (Atomics.add(ctl, FINISHED, 1) + 1 === chunks) Atomics.notify(ctl, FINISHED);
      }
    }
  }
  if (typeof require === 'function' && typeof process === 'object') {
    var port = require('node:worker_threads').parentPort;
    port.once('message', function (init) {
      start(init, function (m) { port.postMessage(m); });
      port.close();
    });
  } else {
    self.onmessage = function (event) {
      self.onmessage = null;
      start(event.data, function (m) { self.postMessage(m); });
      self.close();
    };
  }
})();
`;
