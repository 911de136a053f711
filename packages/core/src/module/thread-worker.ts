// The script every pool thread runs, as source text: a Node worker thread starts it with
// `eval: true`, a browser a Blob URL of it, so no bundler has to find or emit a file for it.
// Plain JavaScript that runs in both (it picks `worker_threads`' port in Node, `self` elsewhere).
//
// A thread instantiates our module over the shared memory it is sent, says `ready`, then loops
// on its slot of the control block (layout in threads.ts): wait for the job counter to move
// (spinning for the time the header gives, then Atomics.wait), call the export named by the job
// with its arguments, record an error's name and message if it throws, publish the counter as
// done and wake the caller. A job with function -1 ends the loop and the thread.

/** Int32 fields of a thread's slot, and the slot's size. */
export const SLOT = {
  /** Int32s per slot (512 bytes: no two threads' fields share a cache line). */
  size: 128,
  seq: 0,
  done: 1,
  fn: 2,
  nargs: 3,
  status: 4,
  messageLength: 5,
  /** Float64 index (within the slot, in float64s) of the first argument. */
  args: 4,
  maxArgs: 24,
  /** Uint16 index (within the slot, in uint16s) of the error text, and its longest length. */
  message: 128,
  maxMessage: 128,
} as const;

/** Header fields (slot 0 of the control block; threads use slots 1…). */
export const HEADER = {
  /** Microseconds a thread spins for its next job before it sleeps in Atomics.wait. */
  spinMicros: 0,
} as const;

export const WORKER_SOURCE = `'use strict';
(function () {
  var SLOT = ${SLOT.size}, SEQ = ${SLOT.seq}, DONE = ${SLOT.done}, FN = ${SLOT.fn}, NARGS = ${SLOT.nargs};
  var STATUS = ${SLOT.status}, MLEN = ${SLOT.messageLength}, ARGS = ${SLOT.args}, MSG = ${SLOT.message};
  var MAXMSG = ${SLOT.maxMessage}, SPIN = ${HEADER.spinMicros};
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
    var base = init.slot * SLOT;
    var seen = Atomics.load(ctl, base + SEQ);
    post({ type: 'ready' });
    for (;;) {
      var spins = 0;
      var t0 = performance.now();
      while (Atomics.load(ctl, base + SEQ) === seen) {
        if ((++spins & 127) === 0 && (performance.now() - t0) * 1000 > Atomics.load(ctl, SPIN)) {
          Atomics.wait(ctl, base + SEQ, seen);
          spins = 0;
          t0 = performance.now();
        }
      }
      seen = Atomics.load(ctl, base + SEQ);
      var fn = ctl[base + FN];
      if (fn < 0) break;
      var n = ctl[base + NARGS];
      var args = new Array(n);
      for (var i = 0; i < n; i++) args[i] = f64[base / 2 + ARGS + i];
      var status = 0;
      try {
        table[fn].apply(null, args);
      } catch (e) {
        status = 1;
        var text = String((e && e.name) || 'Error') + ': ' + String((e && e.message) || e);
        var len = Math.min(text.length, MAXMSG);
        for (var j = 0; j < len; j++) u16[base * 2 + MSG + j] = text.charCodeAt(j);
        ctl[base + MLEN] = len;
      }
      ctl[base + STATUS] = status;
      Atomics.store(ctl, base + DONE, seen);
      Atomics.notify(ctl, base + DONE);
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
