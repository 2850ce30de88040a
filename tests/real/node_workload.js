// SPDX-License-Identifier: MIT
// Workload for the real-program matrix (tests/real/node.sh). Deterministic output only.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const { execFileSync, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const zlib = require('zlib');

if (!isMainThread) {
  let s = 0;
  for (let i = 0; i < workerData * 100000; i++) s = (s + i * i) % 1000003;
  parentPort.postMessage(s);
} else {
  (async () => {
    const objs = [];
    for (let i = 0; i < 200000; i++) objs.push({ id: i, name: 'n' + i, tags: [i % 7, i % 11] });
    const json = JSON.stringify(objs);
    console.log('json length', json.length, 'parsed', JSON.parse(json).length);
    const buf = Buffer.alloc(1 << 20, 'ab');
    const z = zlib.gzipSync(buf);
    console.log('gunzip ok', zlib.gunzipSync(z).equals(buf));
    console.log('sha256', crypto.createHash('sha256').update(json).digest('hex').slice(0, 16));
    fs.writeFileSync('node-out.txt', 'line\n'.repeat(1000));
    console.log('file lines', fs.readFileSync('node-out.txt', 'utf8').split('\n').length - 1);
    const results = await Promise.all([1, 2, 3, 4].map((n) => new Promise((resolve, reject) => {
      const w = new Worker(__filename, { workerData: n });
      w.on('message', resolve);
      w.on('error', reject);
    })));
    console.log('workers', results.join(','));
    console.log('execFile', execFileSync('sh', ['-c', 'echo from child; echo $((6*7))']).toString().trim().split('\n').join(' '));
    const r = spawnSync('sh', ['-c', 'exit 3']);
    console.log('spawn status', r.status);
    await new Promise((resolve) => setTimeout(resolve, 50));
    console.log('timers done');
  })().catch((e) => { console.error(e); process.exit(1); });
}
