// The seed's Express API in Node's cluster mode: what a Node team deploys on
// a multi-core host. The primary forks WEB_CONCURRENCY workers (default: one
// per core), each running index.js unchanged; they share the listening port.
'use strict';

const cluster = require('node:cluster');
const os = require('node:os');

if (cluster.isPrimary) {
  const workers = Number(process.env.WEB_CONCURRENCY || os.availableParallelism());
  for (let i = 0; i < workers; i += 1) cluster.fork();
  let stopping = false;
  cluster.on('exit', () => {
    if (!stopping) process.exitCode = 1; // a worker died: make it visible, do not respawn in a bench
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
      cluster.disconnect(() => process.exit(0));
    });
  }
} else {
  require('./index.js');
}
