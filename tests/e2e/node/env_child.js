// SPDX-License-Identifier: MIT
// env_child.js - what NODE_OPTIONS a node program and the node it starts see under libleak
// (tests/e2e/test_node.sh): their own, without the flags libleak adds for itself.
'use strict';
const cp = require('child_process');
console.log('parent ' + JSON.stringify(process.env.NODE_OPTIONS));
cp.execFileSync(process.execPath,
  ['-e', 'console.log("child " + JSON.stringify(process.env.NODE_OPTIONS))'],
  { stdio: ['ignore', 'inherit', 'inherit'] });
