// SPDX-License-Identifier: MIT
// named.js - resources a node program leaks from named JavaScript functions, for
// tests/e2e/test_node.sh: a listening socket (listen(0) binds at once, on this stack), the
// stdio pipes of child_process.spawn and the child itself (never waited for). Argument
// "opt" runs each function once more after forcing V8 to optimize it (needs
// --allow-natives-syntax), so the frame is optimized code; "interp" runs it once.
'use strict';
const net = require('net');
const cp = require('child_process');
const keep = [];

function leakListener() {
  const s = net.createServer();
  s.listen(0);
  keep.push(s);
}

function leakSpawnPipes() {
  const c = cp.spawn('sleep', ['30'], { stdio: ['pipe', 'pipe', 'ignore'] });
  keep.push(c);
}

function closedProperly() {
  const s = net.createServer();
  s.listen(0, () => s.close());
}

const fns = [leakListener, leakSpawnPipes, closedProperly];
if (process.argv[2] === 'opt') {
  // V8's natives, parsed only here (a syntax error without --allow-natives-syntax).
  const prepare = new Function('f', '%PrepareFunctionForOptimization(f)');
  const optimize = new Function('f', '%OptimizeFunctionOnNextCall(f)');
  const status = new Function('f', 'return %GetOptimizationStatus(f)');
  for (const f of fns) {
    prepare(f);
    f();
    optimize(f);
    f();
    if (status(f) & 16) // kOptimized
      console.log('optimized', f.name);
  }
} else {
  for (const f of fns) f();
}
setTimeout(() => {
  for (const k of keep) if (k.kill) k.kill('SIGKILL');
  process.exit(0);
}, 300);
