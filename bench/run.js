// `npm run bench [name...]`: runs the benchmarks (all by default) and prints their reports.
// Each benchmark is a script in this folder that measures Berth beside what it is compared with.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const all = {
  'deploy-levels': 'deploy-levels.mjs',
  proxy: 'proxy.mjs',
  render: 'render.mjs',
  'render-server': 'render-server.mjs',
  'render-base': 'render-base.mjs',
  'render-inprocess': 'render-inprocess.mjs',
  rolling: 'rolling.mjs',
  'restart-stress': 'restart-stress.mjs',
  tcp: 'tcp.mjs',
  containers: 'containers.mjs',
  logsearch: 'logsearch.mjs',
  callgraph: 'callgraph.mjs',
  'logingest-loop': 'logingestloop.mjs',
  'webhook-live': 'webhook-live.mjs',
  'node-lines': 'node-lines.mjs',
  supervision: 'supervision.mjs',
  scale: 'scale.mjs',
  'shim-probes': 'shim-probes.mjs',
  'gateway-reads': 'gateway-reads.mjs',
};
const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(all);
let failed = 0;
for (const name of names) {
  const file = all[name];
  if (!file) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(all).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n== ${name} ==`);
  const r = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
