// SPDX-License-Identifier: MIT
// node_workload.js - a request-heavy node workload for the libleak benchmarks: an http server
// and a keep-alive client in one process, N requests (each a JSON body parsed and answered),
// with a socket per connection batch. Usage: node node_workload.js [REQUESTS].
'use strict';
const http = require('http');

const total = Number(process.argv[2] || 20000);
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function handle(req, res) {
  let body = '';
  req.on('data', d => (body += d));
  req.on('end', () => {
    const msg = JSON.parse(body);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: msg.id, items: msg.items.map(x => x * 2) }));
  });
}

function request(port, id) {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, method: 'POST', path: '/', agent }, res => {
      let data = '';
      res.on('data', d => (data += d));
      res.on('end', () => resolve(JSON.parse(data).id));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ id, items: [id, id + 1, id + 2] }));
  });
}

const server = http.createServer(handle).listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  let done = 0, answered = 0;
  const workers = [];
  for (let w = 0; w < 8; w++)
    workers.push((async () => {
      while (done < total) {
        const id = done++;
        if ((await request(port, id)) === id) answered++;
      }
    })());
  await Promise.all(workers);
  agent.destroy();
  server.close();
  console.log('requests', done, 'answered', answered);
});
