// SPDX-License-Identifier: MIT
// closes_all.js - a node program that closes everything it opens, for tests/e2e/test_node.sh:
// a listener, a connection to it (and the accepted side), a spawned child waited for with its
// stdio pipes, a file read and a file handle opened and closed. libuv closes all of these
// with syscall(SYS_close, fd); node's own event loop descriptors stay open until exit.
'use strict';
const net = require('net');
const cp = require('child_process');
const fs = require('fs');

function serveOnce(done) {
  const srv = net.createServer(c => c.end());
  srv.listen(0, '127.0.0.1', () => {
    const c = net.connect(srv.address().port, '127.0.0.1');
    c.on('close', () => srv.close(done));
    c.resume();
  });
}

function runChild(done) {
  cp.spawn('true', [], { stdio: ['pipe', 'pipe', 'pipe'] }).on('close', done);
}

function readFiles(done) {
  fs.readFileSync(__filename);
  fs.promises.open(__filename).then(h => h.close()).then(done);
}

serveOnce(() => runChild(() => readFiles(() => console.log('done'))));
