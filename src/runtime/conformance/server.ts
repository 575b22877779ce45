/**
 * The program a runtime with real replicas runs for the kit (`node -e CONFORMANCE_SERVER`, as a
 * process or in a container with node): it serves the answers ServingView `requests` describes.
 *
 * Environment: PORT, VERSION (the state's hash), SERVICE, BIND (the address to listen on; 0.0.0.0 in
 * a container), NEVER_READY=1 (GET /healthz answers 503), VOLUME_DIR (a volume's directory: the
 * replica appends VERSION to its `versions` file at start and `GET /volume` lists its lines).
 */
export const CONFORMANCE_SERVER = String.raw`
const http = require('node:http');
const fs = require('node:fs');
const env = process.env;
const file = env.VOLUME_DIR ? env.VOLUME_DIR + '/versions' : undefined;
if (file) fs.appendFileSync(file, env.VERSION + '\n');
http
  .createServer((req, res) => {
    if (req.url === '/healthz') {
      res.statusCode = env.NEVER_READY === '1' ? 503 : 200;
      return res.end();
    }
    const answer = { service: env.SERVICE, version: env.VERSION, replica: env.BERTH_REPLICA, path: req.url };
    if (req.url === '/volume') answer.volume = file ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  })
  .listen(Number(env.PORT), env.BIND, () => console.log(env.SERVICE + ' ' + env.VERSION + ' listening on ' + env.PORT));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
`;
