// SPDX-License-Identifier: MIT
// soak_server.js - an http server for tests/e2e/test_node_soak.sh (standard library only).
// Each request opens a connection to a backend (a unix-socket server in the same process:
// a unix connect runs at once, so the socket is made on openBackend's stack; a TCP connect is
// deferred to a later tick) and starts a poll timer. "leaky" never destroys the backend
// socket and never clears the interval; "fixed" does both when the request ends.
'use strict';
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const fs = require('fs');

const mode = process.argv[2] || 'leaky';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soak-node-'));
const sock = path.join(dir, 'backend.sock');
const held = [];
let served = 0;

const backend = net.createServer(c => {
  c.on('error', () => {});
  c.write('pong\n'); // the connection stays until the client ends it
});

function openBackend() {
  const s = net.connect(sock);
  s.on('error', () => {});
  s.resume();
  return s;
}

function startPoller() {
  return setInterval(() => {}, 60000);
}

const server = http.createServer((req, res) => {
  const s = openBackend();
  const t = startPoller();
  served++;
  res.end('ok\n', () => {
    if (mode === 'fixed') {
      s.destroy();
      clearInterval(t);
    } else {
      held.push(s, t);
    }
  });
});

backend.listen(sock, () => {
  server.listen(0, '127.0.0.1', () => {
    console.log(`listening 127.0.0.1:${server.address().port}`);
  });
});

process.on('SIGTERM', () => {
  console.log(`served ${served}`);
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
